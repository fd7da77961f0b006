import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/**
 * The dashboard's pages load nothing from other origins: helmet's policy, but fonts and styles from this server only
 * (helmet's defaults allow any https origin for both). An admin's browser thus never calls a third party from here,
 * and a bull-board upgrade that brings a remote asset back is refused by the browser instead of quietly loaded.
 */
@Injectable()
export class DashboardContentPolicy implements NestMiddleware {
  private readonly policy = helmet.contentSecurityPolicy({
    directives: {
      'frame-ancestors': ["'none'"],
      'font-src': ["'self'", 'data:'],
      'style-src': ["'self'", "'unsafe-inline'"],
    },
  });

  use(request: Request, response: Response, next: NextFunction): void {
    this.policy(request, response, next);
  }
}
