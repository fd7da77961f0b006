import { Logger } from '@nestjs/common';

/**
 * Nest's shutdown hooks close the HTTP server (in-flight requests finish) and the queues (active jobs finish).
 * If that takes longer than SHUTDOWN_TIMEOUT_MS the process exits anyway; Bull then hands any still-active job
 * to another worker once its lock expires.
 */
export function exitAfterShutdownTimeout(timeoutMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      new Logger('Shutdown').log(`${signal}: finishing work in progress (up to ${timeoutMs} ms)`);
      setTimeout(() => {
        new Logger('Shutdown').warn('shutdown timeout reached; exiting with work in progress');
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}
