import { Controller, Get, Inject, Next, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storageConfig } from '../config/storage.config';

/** `npm run build` bundles web/ here (dist/public), beside the compiled server. */
const PAGE_DIR = join(__dirname, '..', 'public');

/** The browser page at `/`: static files only; the page talks to the API like any other client. */
@ApiExcludeController()
@Controller()
export class WebController {
  private readonly serveStatic = express.static(PAGE_DIR, { index: 'index.html', maxAge: '5m', fallthrough: false });
  private readonly contentSecurityPolicy: string;

  constructor(@Inject(storageConfig.KEY) storage: ConfigType<typeof storageConfig>) {
    // The page's own scripts and styles only; it uploads to, and shows images from, wherever the store is.
    const [uploadOrigin, imageOrigin] =
      storage.driver === 'qiniu'
        ? [`${storage.qiniu.useHttps ? 'https' : 'http'}://${storage.qiniu.upHost}`, new URL(storage.qiniu.publicBaseUrl).origin]
        : [new URL(storage.local.uploadUrl).origin, new URL(storage.local.publicBaseUrl).origin];
    this.contentSecurityPolicy = [
      "default-src 'self'",
      `connect-src 'self' ${uploadOrigin}`,
      `img-src 'self' data: blob: ${imageOrigin}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "object-src 'none'",
    ].join('; ');
  }

  @Get(['', 'app.js', 'app.js.map', 'styles.css'])
  page(@Req() request: Request, @Res() response: Response, @Next() next: NextFunction): void {
    if (!existsSync(PAGE_DIR)) throw new ServiceUnavailableException('the page is not built: run "npm run build", then restart the API');
    response.setHeader('Content-Security-Policy', this.contentSecurityPolicy);
    this.serveStatic(request, response, next);
  }
}
