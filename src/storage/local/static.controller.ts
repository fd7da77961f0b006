import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { contentTypeOfExtension } from '../../images/image-formats';
import { LocalStorageDriver } from './local.storage-driver';

const CONTENT_HASHED = /\/([0-9a-f]{64})\.[a-z0-9]+$/;
const PUBLIC_PREFIX = 'avatars/';

/**
 * Serves the local driver's avatar objects; with Qiniu the bucket domain or CDN serves them, and this route does not exist.
 * Only files with the extension of an image type the service writes are served, with that type, sandboxed: whatever
 * else could land in storage (an `avatars/1/profile.html`, an SVG, a folder) is a 404 and never runs on this origin.
 */
@ApiExcludeController()
@Controller('static')
export class StaticController {
  constructor(private readonly storage: LocalStorageDriver) {}

  @Get('*key')
  async serve(@Req() request: Request, @Res() response: Response): Promise<void> {
    const key = decodeURIComponent(request.path.replace(/^\/static\//, ''));
    const contentType = contentTypeOfExtension(extname(key).slice(1));
    if (!key.startsWith(PUBLIC_PREFIX) || !contentType) throw new NotFoundException('no such object');
    let path: string;
    try {
      path = this.storage.pathOf(key);
    } catch {
      throw new NotFoundException('no such object');
    }
    if (!(await stat(path).catch(() => null))?.isFile()) throw new NotFoundException('no such object');
    const contentHash = CONTENT_HASHED.exec(key)?.[1];
    response.setHeader('Content-Type', contentType);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    // Avatars are meant to be shown on other sites' pages.
    response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
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
