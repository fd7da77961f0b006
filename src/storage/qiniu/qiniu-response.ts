import { StorageRejectedError, StorageUnavailableError } from '../storage.errors';

/** Statuses worth retrying: server errors (incl. 599) and 406, which means the bytes were damaged in transit. */
function isTransient(status: number): boolean {
  return status === 406 || (status >= 500 && status < 600);
}

function errorText(data: unknown): string | undefined {
  if (data && typeof data === 'object' && 'error' in data && typeof data.error === 'string') return data.error;
  return undefined;
}

/** Turns a non-success Qiniu reply into the storage error the job runner understands. */
export function qiniuFailure(operation: string, status: number, data: unknown, reqId?: string): Error {
  const message = `Qiniu ${operation} failed: ${status} ${errorText(data) ?? 'no error text'}${reqId ? ` (reqid ${reqId})` : ''}`;
  return isTransient(status) ? new StorageUnavailableError(message) : new StorageRejectedError(message, status);
}

const LOCAL_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'EMFILE']);

/** A rejected SDK/fetch call: the request never got an HTTP answer (network error, timeout, reset). */
export function transportFailure(operation: string, err: unknown): Error {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && LOCAL_ERRORS.has(code)) return err as Error;
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new StorageUnavailableError(`Qiniu ${operation} failed: ${reason}`);
}

export function reqIdOf(headers: unknown): string | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.['x-reqid'];
  return typeof value === 'string' ? value : undefined;
}
