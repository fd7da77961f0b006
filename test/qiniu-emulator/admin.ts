import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVICE_CLASSES, ServiceClass } from './faults';
import { parseJson, QiniuError, readBody, sendJson } from './http';
import type { EmulatorState } from './state';

export const ADMIN_PREFIX = '/_emulator/';

/** What the emulator holds in a bucket (no bytes). */
export function objectList(state: EmulatorState, bucket: string) {
  return [...state.bucket(bucket).values()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map(({ key, fsize, hash, md5, mimeType, putTime }) => ({ key, fsize, hash, md5, mimeType, putTime }));
}

function serviceOf(value: unknown): ServiceClass {
  if (!SERVICE_CLASSES.includes(value as ServiceClass)) throw new QiniuError(400, `service must be one of ${SERVICE_CLASSES.join(', ')}`);
  return value as ServiceClass;
}

/** Test control over HTTP, for when the code under test runs in another process. Unauthenticated: bind to loopback. */
export async function handleAdmin(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const route = `${req.method} ${path.slice(ADMIN_PREFIX.length - 1)}`;
  const body = await readBody(req, 1024 * 1024);
  const input = () => (body.length > 0 ? parseJson<Record<string, unknown>>(body) : {});
  switch (route) {
    case 'GET /health':
      return sendJson(res, 200, { ok: true, buckets: [...state.buckets.keys()] });
    case 'GET /faults':
      return sendJson(res, 200, state.faults.snapshot());
    case 'POST /faults': {
      const { service, count = 1, status = 503, delayMs = 0 } = input();
      state.faults.failNext(serviceOf(service), Number(count), Number(status), { delayMs: Number(delayMs) });
      return sendJson(res, 200, state.faults.snapshot());
    }
    case 'POST /faults/latency': {
      const { service, delayMs = 0 } = input();
      state.faults.setLatency(serviceOf(service), Number(delayMs));
      return sendJson(res, 200, state.faults.snapshot());
    }
    case 'POST /faults/wrong-hash':
      state.faults.wrongHash(Number(input().count ?? 1));
      return sendJson(res, 200, state.faults.snapshot());
    case 'DELETE /faults':
      state.faults.clear();
      return sendJson(res, 200, state.faults.snapshot());
    case 'GET /objects': {
      const bucket = query.get('bucket') ?? state.downloadBucket ?? '';
      return sendJson(res, 200, { bucket, objects: objectList(state, bucket) });
    }
    case 'GET /refreshed':
      return sendJson(res, 200, { urls: state.refreshed.urls, dirs: state.refreshed.dirs, prefetched: state.prefetched });
    case 'GET /requests':
      return sendJson(res, 200, { requests: state.requests });
    case 'POST /reset':
      state.reset();
      return sendJson(res, 200, { ok: true });
    case 'GET /clock':
      return sendJson(res, 200, { offsetSec: state.clockOffsetSec, now: state.nowSec() });
    case 'PUT /clock':
    case 'POST /clock': {
      const offset = Number(input().offsetSec);
      if (!Number.isFinite(offset)) throw new QiniuError(400, 'offsetSec must be a number');
      state.clockOffsetSec = offset;
      return sendJson(res, 200, { offsetSec: state.clockOffsetSec, now: state.nowSec() });
    }
    default:
      throw new QiniuError(404, `no such emulator endpoint: ${route}`);
  }
}
