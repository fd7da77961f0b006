import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { LocalStorageDriver } from './local.storage-driver';

const CONTENT_HASHED = /\/([0-9a-f]{64})\.[a-z0-9]+$/;
const PUBLIC_PREFIX = 'avatars/';

/** Serves the local driver's avatar objects; with Qiniu the bucket domain or CDN serves them, and this route does not exist. */
@ApiExcludeController()
@Controller('static')
export class StaticController {
  constructor(private readonly storage: LocalStorageDriver) {}

  @Get('*key')
  serve(@Req() request: Request, @Res() response: Response): Promise<void> {
    const key = decodeURIComponent(request.path.replace(/^\/static\//, ''));
    if (!key.startsWith(PUBLIC_PREFIX)) {
      throw new NotFoundException('no such object');
    }
    let path: string;
    try {
      path = this.storage.pathOf(key);
    } catch {
      throw new NotFoundException('no such object');
    }
    const contentHash = CONTENT_HASHED.exec(key)?.[1];
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (contentHash) response.setHeader('ETag', `"${contentHash}"`);
    return new Promise((resolve, reject) => {
      response.sendFile(
        path,
        // A content-hashed key never changes meaning, so caches may keep it forever.
        contentHash ? { etag: false, maxAge: '365d', immutable: true } : { maxAge: '60s' },
        (error?: Error & { status?: number; statusCode?: number }) => {
          if (!error) return resolve();
          if (response.headersSent) return resolve();
          reject(error.status === 404 || error.statusCode === 404 ? new NotFoundException('no such object') : error);
        },
      );
    });
  }
}
