/** mysql2 / Node codes meaning "MySQL cannot be reached right now", as opposed to a bad query. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

interface DriverError {
  code?: unknown;
  /** mysql2 marks errors that broke the connection (as opposed to a failed statement). */
  fatal?: unknown;
}

/**
 * True for errors that say MySQL is down or unreachable. Only mysql2's own errors count (TypeORM wraps them in
 * `driverError`), so a refused connection to storage is never mistaken for a database outage.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const wrapped = (error as { driverError?: DriverError } | null)?.driverError;
  const driverError = wrapped ?? (error as DriverError | null);
  const fromMysql = wrapped !== undefined || driverError?.fatal === true || String(driverError?.code).startsWith('PROTOCOL_');
  return fromMysql && typeof driverError?.code === 'string' && UNAVAILABLE_CODES.has(driverError.code);
}
