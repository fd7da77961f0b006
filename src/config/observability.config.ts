import { registerAs } from '@nestjs/config';
import { LogFormat, pinoLevelOf } from '../logging/root-logger';

/** Logs: levels and format of both processes. */
export const observabilityConfig = registerAs('observability', () => ({
  /** The API's level (LOG_LEVEL); workers use WORKER_LOG_LEVEL. */
  apiLogLevel: pinoLevelOf(process.env.LOG_LEVEL),
  workerLogLevel: pinoLevelOf(process.env.WORKER_LOG_LEVEL),
  logFormat: (process.env.LOG_FORMAT ?? ((process.env.NODE_ENV ?? 'development') === 'production' ? 'json' : 'pretty')) as LogFormat,
}));
