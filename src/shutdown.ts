import { INestApplicationContext, Logger } from '@nestjs/common';

/**
 * On SIGTERM/SIGINT: close the application (Nest's shutdown hooks stop the HTTP server, letting in-flight requests
 * finish, and drain the worker's queues, letting active jobs finish), then exit 0. If that takes longer than
 * SHUTDOWN_TIMEOUT_MS the process exits 1 anyway; Bull hands a job cut off that way to another worker once its
 * lock expires.
 */
export function closeOnSignals(app: INestApplicationContext, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // Ctrl-C in `npm run start:all` reaches a child twice: SIGINT from the terminal, SIGTERM from the parent.
    if (closing) return;
    closing = true;
    logger.log(`${signal}: finishing work in progress (up to ${timeoutMs} ms)`);
    setTimeout(() => {
      logger.warn('shutdown timeout reached; exiting with work in progress');
      process.exit(1);
    }, timeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
