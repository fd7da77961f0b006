import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import multer, { StorageEngine } from 'multer';

/**
 * The control of the API accept bench: bare Express + multer that streams each upload to a folder while hashing
 * it, and answers 202. No auth, database or queue: what the API does beyond this is what the bench weighs.
 * Run as its own process: `control-server.ts <port> <folder> <max bytes>`.
 */
class HashingDiskStorage implements StorageEngine {
  constructor(private readonly directory: string) {}

  _handleFile(_: express.Request, file: Express.Multer.File, callback: (error?: unknown, info?: object) => void): void {
    const path = join(this.directory, randomUUID());
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        hash.update(chunk);
        next(null, chunk);
      },
    });
    pipeline(file.stream, hashing, createWriteStream(path, { flags: 'wx' })).then(
      () => callback(null, { path, sha256: hash.digest('hex') }),
      (error: unknown) => void rm(path, { force: true }).then(() => callback(error)),
    );
  }

  _removeFile(_: express.Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(() => callback(null), callback);
  }
}

const [port, folder, maxBytes] = process.argv.slice(2);
mkdirSync(folder, { recursive: true });
const upload = multer({ storage: new HashingDiskStorage(folder), limits: { fileSize: Number(maxBytes), files: 1 } });
express()
  .post('/upload', upload.single('avatar'), (req, res) => {
    const file = req.file as Express.Multer.File & { sha256: string };
    res.status(202).json({ sha256: file.sha256, size: file.size });
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`control listening on ${port}`));
