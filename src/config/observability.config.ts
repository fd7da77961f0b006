import { registerAs } from '@nestjs/config';
import { LogFormat, pinoLevelOf } from '../logging/root-logger';

/** Logs of both processes, `/metrics`, and the worker's listener for probes and metrics. */
export const observabilityConfig = registerAs('observability', () => ({
  /** The API's level (LOG_LEVEL); workers use WORKER_LOG_LEVEL. */
  apiLogLevel: pinoLevelOf(process.env.LOG_LEVEL),
  workerLogLevel: pinoLevelOf(process.env.WORKER_LOG_LEVEL),
  logFormat: (process.env.LOG_FORMAT ?? ((process.env.NODE_ENV ?? 'development') === 'production' ? 'json' : 'pretty')) as LogFormat,
  /** When set, `/metrics` (API and workers) needs `Authorization: Bearer <token>`. */
  metricsToken: process.env.METRICS_TOKEN || undefined,
  workerHttpHost: process.env.WORKER_HTTP_HOST ?? '127.0.0.1',
  /** 0 lets the system pick a free port (tests); the worker logs the one it got. */
  workerHttpPort: Number(process.env.WORKER_HTTP_PORT ?? 9464),
  /** API: how long readiness answers 503 on SIGTERM, while requests are still served, before the server closes. */
  shutdownDrainMs: Number(process.env.SHUTDOWN_DRAIN_MS ?? 0),
}));
