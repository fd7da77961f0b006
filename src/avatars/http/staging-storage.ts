import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { ImageType } from '../../images/image-formats';
import { SNIFF_BYTES, sniffImageType, sniffRefusedFormat } from '../../images/image-sniffer';

/** An upload as it landed in the staging folder; `filename` doubles as the upload id. */
export interface StagedFile extends Express.Multer.File {
  sha256: string;
  detectedType: ImageType | null;
  /** A recognised format we do not take (e.g. HEIC), to tell the client what to change. */
  refusedFormat: string | null;
}


/**
 * Multer storage that streams the body straight to the staging folder, hashing and sniffing it on the way,
 * so no upload is ever held whole in memory. Multer enforces the size limit and removes partial files.
 */
export class StagingStorage implements StorageEngine {
  constructor(
    private readonly directory: string,
    /** Told the size of every chunk as it arrives (bytes-received metric). */
    private readonly onBytes: (bytes: number) => void = () => undefined,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  _handleFile(_: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<StagedFile>) => void): void {
    const id = randomUUID();
    const path = join(this.directory, id);
    const hash = createHash('sha256');
    let size = 0;
    let header = Buffer.alloc(0);
    const onBytes = this.onBytes;
    const inspect = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        hash.update(chunk);
        size += chunk.length;
        onBytes(chunk.length);
        if (header.length < SNIFF_BYTES) header = Buffer.concat([header, chunk.subarray(0, SNIFF_BYTES - header.length)]);
        next(null, chunk);
      },
    });
    pipeline(file.stream, inspect, createWriteStream(path, { flags: 'wx' })).then(
      () =>
        callback(null, {
          destination: this.directory,
          filename: id,
          path,
          size,
          sha256: hash.digest('hex'),
          detectedType: sniffImageType(header),
          refusedFormat: size > 0 ? sniffRefusedFormat(header) : null,
        }),
      async (error: unknown) => {
        await rm(path, { force: true });
        callback(error);
      },
    );
  }

  _removeFile(_: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(() => callback(null), callback);
  }
}
