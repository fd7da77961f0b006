import { INestApplication, INestApplicationContext, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Keep-alive clients must learn that the API is going away before they write into a closing socket: once shutdown
 * starts, every response not yet begun (in flight or new during SHUTDOWN_DRAIN_MS) says `Connection: close`. Idle
 * keep-alive connections are left open until the server closes (which closes them): closing one at the signal races
 * a client writing its next request into it, which then fails with ECONNRESET; left open, that request is served
 * and told to close.
 */
function closeKeepAliveOnShutdown(server: Server): () => void {
  const unanswered = new Set<ServerResponse>();
  let closing = false;
  const sayClose = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) return sayClose(response);
    unanswered.add(response);
    response.once('close', () => unanswered.delete(response));
  });
  return () => {
    closing = true;
    unanswered.forEach(sayClose);
  };
}

/**
 * On SIGTERM/SIGINT: close the application (Nest's shutdown hooks stop the HTTP server, letting in-flight requests
 * finish, and drain the worker's queues, letting active jobs finish), then exit 0. If that takes longer than
 * SHUTDOWN_TIMEOUT_MS the process exits 1 anyway; Bull hands a job cut off that way to another worker once its
 * lock expires.
 */
export function closeOnSignals(app: INestApplicationContext, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  const server = 'getHttpServer' in app ? ((app as INestApplication).getHttpServer() as Server) : undefined;
  const closeKeepAlive = server ? closeKeepAliveOnShutdown(server) : () => undefined;
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // Ctrl-C in `npm run start:all` reaches a child twice: SIGINT from the terminal, SIGTERM from the parent.
    if (closing) return;
    closing = true;
    logger.log(`${signal}: finishing work in progress (up to ${timeoutMs} ms)`);
    closeKeepAlive();
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
