import { storage } from 'nestjs-pino/storage';

/**
 * The id of the HTTP request being handled, as pino-http bound it to the request's logger (from `X-Request-Id` or
 * made up); undefined outside a request. Lets an upload's job carry it to the worker.
 */
export function currentRequestId(): string | undefined {
  const requestId = storage.getStore()?.logger.bindings().requestId;
  return typeof requestId === 'string' ? requestId : undefined;
}
