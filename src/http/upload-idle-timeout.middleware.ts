import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { avatarConfig } from '../config/avatar.config';

/**
 * Cuts off an upload whose client has sent nothing for UPLOAD_IDLE_TIMEOUT_SEC: it answers 408 if it still can and
 * closes the connection, and multer, seeing the request end early, has the partial file removed. A slow client that
 * keeps sending is never cut off; the timer only runs while the body is arriving.
 */
@Injectable()
export class UploadIdleTimeoutMiddleware implements NestMiddleware {
  constructor(@Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const seconds = this.config.uploadIdleTimeoutSec;
    req.setTimeout(seconds * 1000, () => {
      if (res.headersSent) return void req.destroy();
      res.once('finish', () => req.destroy());
      res
        .status(HttpStatus.REQUEST_TIMEOUT)
        .set('Connection', 'close')
        .json({ statusCode: 408, message: `no data arrived for ${seconds} s; the upload was cancelled`, error: 'Request Timeout' });
    });
    // Once the body is in, the socket's own idle rules apply again (keep-alive), whatever the handler then takes.
    req.once('end', () => req.socket?.setTimeout(0));
    next();
  }
}
