import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routeOf } from '../logging/http-logging';
import { Metrics } from './metrics';

/** The routes that take an upload: the source label they count under, and the status that means accepted. */
const UPLOAD_ROUTES: Record<string, { source: 'server' | 'direct'; accepted: number }> = {
  'POST /users/me/avatar': { source: 'server', accepted: 202 },
  'POST /users/me/avatar/confirm': { source: 'direct', accepted: 202 },
  // Qiniu confirms a direct upload itself, and relays our 200 answer to the client.
  'POST /storage/qiniu/callback': { source: 'direct', accepted: 200 },
};

/** Refusal reasons as an operator reads them; the status code is the single source of truth. */
const REFUSAL_REASONS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
  507: 'insufficient_storage',
};

/**
 * Times every API request by route pattern and status, and counts uploads accepted and refused. Counting here,
 * from the final status, catches every refusal: multer's 413, a guard's 401, a service's 415 alike.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeOf(req);
      const status = res.statusCode;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpDuration.observe({ method: req.method, route, status }, seconds);
      const upload = UPLOAD_ROUTES[`${req.method} ${route}`];
      if (!upload) return;
      if (status === upload.accepted) this.metrics.uploadsAccepted.inc({ source: upload.source });
      else this.metrics.uploadsRefused.inc({ source: upload.source, reason: REFUSAL_REASONS[status] ?? `http_${status}` });
    });
    next();
  }
}
