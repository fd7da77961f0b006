import {
  ConflictException,
  ForbiddenException,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { detachedFileStream } from '../../http/detached-file-stream';
import { IMAGE_CONTENT_TYPES } from '../../images/image-formats';
import { SNIFF_BYTES, sniffImageType } from '../../images/image-sniffer';
import { JpegScanCounter, tooManyScansMessage } from '../../images/jpeg-scan-counter';
import { StorageRejectedError } from '../storage.errors';
import { LocalStorageDriver, LocalUploadGrant } from './local.storage-driver';

/** A direct upload that became the object `key`. */
export interface GrantedUpload extends Express.Multer.File {
  key: string;
  mimeType: string;
}

const TOKEN_FIRST =
  'send the upload token before the file: a "token" field ahead of the "file" field (as Qiniu\'s browser SDKs do), ' +
  'or an "Authorization: UpToken <token>" header';

/**
 * Multer storage for the local direct-upload endpoint. The token is checked before a single byte is written: it
 * comes in a header or in a field ahead of the file, never after. The token is then claimed (one successful upload
 * per token, even in parallel), the bytes stream to a file beside the root checked against the grant as they come
 * (size, type, JPEG scans), and the finished file becomes the object only if the key is still free.
 */
export class GrantedUploadStorage implements StorageEngine {
  constructor(
    private readonly driver: LocalStorageDriver,
    private readonly maxJpegScans: number,
  ) {
    mkdirSync(driver.uploadsInFlightDir, { recursive: true });
  }

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<GrantedUpload>) => void): void {
    this.receive(req, file).then((info) => callback(null, info), callback);
  }

  _removeFile(_: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { key } = file as GrantedUpload;
    Promise.all([this.driver.delete([key]), this.driver.releaseDirectUpload(key)]).then(() => callback(null), callback);
  }

  private async receive(req: Request, file: Express.Multer.File): Promise<Partial<GrantedUpload>> {
    const grant = this.grantOf(req);
    const fields = req.body as { key?: string };
    if (fields.key !== undefined && fields.key !== grant.key) throw new ForbiddenException("key doesn't match with scope");
    if (!(await this.driver.claimDirectUpload(grant))) {
      throw new ConflictException('this upload token has already been used; ask for a new one');
    }
    const path = join(this.driver.uploadsInFlightDir, randomUUID());
    try {
      const check = new GrantCheck(grant, this.maxJpegScans);
      await pipeline(detachedFileStream(file), check, createWriteStream(path, { flags: 'wx' }));
      if (!(await this.driver.insertFile(grant.key, path))) throw new ConflictException('file exists');
      return { key: grant.key, path: this.driver.pathOf(grant.key), size: check.size, mimeType: check.contentType() };
    } catch (error) {
      await rm(path, { force: true });
      await this.driver.releaseDirectUpload(grant.key);
      throw error;
    }
  }

  private grantOf(req: Request): LocalUploadGrant {
    const [scheme, headerToken] = (req.headers.authorization ?? '').split(' ');
    const token = scheme === 'UpToken' && headerToken ? headerToken : (req.body as { token?: string }).token;
    if (!token) throw new UnauthorizedException(TOKEN_FIRST);
    try {
      return this.driver.verifyUploadToken(token);
    } catch (error) {
      if (error instanceof StorageRejectedError || error instanceof SyntaxError) {
        throw new UnauthorizedException(error instanceof SyntaxError ? 'bad token' : error.message);
      }
      throw error;
    }
  }
}

/** Enforces a grant on the bytes passing through: at most `maxBytes`, an allowed type by its magic bytes, few JPEG scans. */
class GrantCheck extends Transform {
  private readonly scans = new JpegScanCounter();
  private header = Buffer.alloc(0);
  size = 0;

  constructor(
    private readonly grant: LocalUploadGrant,
    private readonly maxJpegScans: number,
  ) {
    super();
  }

  contentType(): string {
    const type = sniffImageType(this.header);
    return type ? IMAGE_CONTENT_TYPES[type] : 'application/octet-stream';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, next: (error?: Error | null, chunk?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.grant.maxBytes) {
      return next(new PayloadTooLargeException(`exceeds the token's size limit of ${this.grant.maxBytes} bytes`));
    }
    if (this.header.length < SNIFF_BYTES) {
      this.header = Buffer.concat([this.header, chunk.subarray(0, SNIFF_BYTES - this.header.length)]);
      if (this.header.length === SNIFF_BYTES && !this.typeAllowed()) return next(this.wrongType());
    }
    this.scans.write(chunk);
    if (this.scans.scans > this.maxJpegScans) return next(new UnsupportedMediaTypeException(tooManyScansMessage(this.maxJpegScans)));
    next(null, chunk);
  }

  override _flush(done: (error?: Error | null) => void): void {
    done(this.typeAllowed() ? null : this.wrongType());
  }

  private typeAllowed(): boolean {
    return this.grant.allowedTypes.includes(this.contentType());
  }

  private wrongType(): Error {
    return new UnsupportedMediaTypeException(`the file is not one of ${this.grant.allowedTypes.join(', ')}`);
  }
}
