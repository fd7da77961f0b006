import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detachedFileStream } from '../../http/detached-file-stream';
import { Logger, PayloadTooLargeException, ServiceUnavailableException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { AuthenticatedRequest } from '../../auth/jwt.guard';
import { ImageType } from '../../images/image-formats';
import { SNIFF_BYTES, sniffImageType, sniffRefusedFormat } from '../../images/image-sniffer';
import { JpegScanCounter, tooManyScansMessage } from '../../images/jpeg-scan-counter';
import { StorageDriver } from '../../storage/storage-driver';
import { StorageRejectedError, StorageUnavailableError } from '../../storage/storage.errors';

/**
 * An upload as the API received it; `filename` doubles as the upload id. It was kept either in the staging folder
 * (`path`) or in the object store under a temporary key (`stagedKey`, with `path` empty).
 */
export interface StagedFile extends Express.Multer.File {
  stagedKey: string | null;
  sha256: string;
  detectedType: ImageType | null;
  /** A recognised format we do not take (e.g. HEIC), to tell the client what to change. */
  refusedFormat: string | null;
  /** The JPEG scans counted on the way in (0 for other formats). */
  jpegScans: number;
}

type Kept = Pick<StagedFile, 'path' | 'stagedKey'>;

/** Where the bytes go once inspected. On failure a sink keeps nothing. */
export interface StagingSink {
  keep(bytes: AsyncIterable<Buffer>, upload: { id: string; userId: number }): Promise<Kept>;
  discard(kept: Kept): Promise<void>;
}

/** STAGING=disk: a file named after the upload in the staging folder, which workers must share. */
export class DiskStagingSink implements StagingSink {
  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  async keep(bytes: AsyncIterable<Buffer>, { id }: { id: string }): Promise<Kept> {
    const path = join(this.directory, id);
    const file = createWriteStream(path, { flags: 'wx' });
    try {
      await pipeline(bytes, file);
    } catch (error) {
      // A transfer that fails early (a full disk, a client gone) can fail before the file is even opened: wait until
      // the stream has closed, so the file exists if it ever will, and only then remove it.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      await rm(path, { force: true });
      throw error;
    }
    return { path, stagedKey: null };
  }

  async discard({ path }: Kept): Promise<void> {
    if (path) await rm(path, { force: true });
  }
}

/**
 * STAGING=storage: a temporary object in the store, in the `incoming/<user>/` space direct uploads use, so any
 * worker on any host can fetch it and API and workers share no folder.
 */
export class StoreStagingSink implements StagingSink {
  constructor(
    private readonly storage: StorageDriver,
    private readonly maxBytes: number,
  ) {}

  async keep(bytes: AsyncIterable<Buffer>, { id, userId }: { id: string; userId: number }): Promise<Kept> {
    const key = `incoming/${userId}/${id}`;
    await this.storage.putStream(key, bytes, this.maxBytes);
    return { path: '', stagedKey: key };
  }

  async discard({ stagedKey }: Kept): Promise<void> {
    if (stagedKey) await this.storage.delete([stagedKey]);
  }
}

/** The store's own refusals and outages, as the client should see them (details stay in the logs). */
function asHttpError(error: unknown): unknown {
  if (error instanceof StorageRejectedError || error instanceof StorageUnavailableError) {
    new Logger(StagingStorage.name).warn(`could not stage an upload in the store: ${error.message}`);
  }
  if (error instanceof StorageRejectedError && error.status === 413) return new PayloadTooLargeException('the file is too large');
  if (error instanceof StorageUnavailableError || error instanceof StorageRejectedError) {
    return new ServiceUnavailableException('storage is unavailable; try again shortly');
  }
  return error;
}

/**
 * Hashes, sizes and sniffs the bytes passing through, holding only the first few, and counts JPEG scans: past
 * `maxJpegScans` it fails at once (415), so the rest of such a file is never kept.
 */
class UploadInspection extends Transform {
  private readonly hash = createHash('sha256');
  private readonly scans = new JpegScanCounter();
  private header = Buffer.alloc(0);
  size = 0;

  constructor(
    private readonly maxJpegScans: number,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, next: (error?: Error | null, chunk?: Buffer) => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.onBytes(chunk.length);
    if (this.header.length < SNIFF_BYTES) this.header = Buffer.concat([this.header, chunk.subarray(0, SNIFF_BYTES - this.header.length)]);
    this.scans.write(chunk);
    if (this.scans.scans > this.maxJpegScans) return next(new UnsupportedMediaTypeException(tooManyScansMessage(this.maxJpegScans)));
    next(null, chunk);
  }

  result(): Pick<StagedFile, 'size' | 'sha256' | 'detectedType' | 'refusedFormat' | 'jpegScans'> {
    return {
      jpegScans: this.scans.scans,
      size: this.size,
      sha256: this.hash.digest('hex'),
      detectedType: sniffImageType(this.header),
      refusedFormat: this.size > 0 ? sniffRefusedFormat(this.header) : null,
    };
  }
}

/**
 * Multer storage: one inspecting stream (sha256, size, magic bytes, JPEG scans) in front of a sink (the staging folder or the
 * object store), so no upload is ever held whole in memory. Multer enforces the size limit; when it trips, the
 * transfer to the sink is cut off at once, and the sink keeps nothing.
 */
export class StagingStorage implements StorageEngine {
  constructor(
    private readonly sink: StagingSink,
    private readonly maxJpegScans: number,
    /** Told the size of every chunk as it arrives (bytes-received metric). */
    private readonly onBytes: (bytes: number) => void = () => undefined,
  ) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<StagedFile>) => void): void {
    const id = randomUUID();
    const inspection = new UploadInspection(this.maxJpegScans, this.onBytes);
    file.stream.once('limit', () => inspection.destroy(new Error('file size limit reached')));
    const userId = (req as AuthenticatedRequest).userId;
    let keeping: Promise<unknown> = Promise.resolve();
    pipeline(detachedFileStream(file), inspection, (bytes: AsyncIterable<Buffer>) => (keeping = this.sink.keep(bytes, { id, userId }))).then(
      (kept) => callback(null, { ...kept, filename: id, ...inspection.result() }),
      // The pipeline can give up before the sink has removed what it kept: answer only once it has.
      async (error: unknown) => {
        await keeping.catch(() => undefined);
        callback(asHttpError(error));
      },
    );
  }

  _removeFile(_: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    this.sink.discard(file as StagedFile).then(() => callback(null), callback);
  }
}
