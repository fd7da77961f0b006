import pino, { Level, Logger, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** Where credentials can appear in a logged object; pino replaces their values before the line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-upload-token"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'accessToken',
  'secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.authorization',
  '*.cookie',
];

/** Nest's level names (and Celery's `info`) → pino's; `verbose` is pino's `trace`. */
export function pinoLevelOf(level: string | undefined): Level {
  const name = (level ?? 'log').toLowerCase();
  const levels: Record<string, Level> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', info: 'info', debug: 'debug', verbose: 'trace' };
  return levels[name] ?? 'info';
}

/**
 * The process's one pino logger: JSON lines for machines (production), or one readable line per entry for people.
 * Both write synchronously, so the last lines before an exit are never lost.
 */
export function createRootLogger(level: Level, format: LogFormat, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (format === 'json') {
    return pino(
      { ...options, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
      destination ?? pino.destination({ sync: true }),
    );
  }
  return pino(
    options,
    pretty({
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
      ...(destination ? { destination } : {}),
    }),
  );
}
