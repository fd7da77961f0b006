import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { verifyManagement } from './auth';
import { parseJson, QiniuError, readBody, sendJson } from './http';
import type { EmulatorState } from './state';

const MAX_URLS = 60;
const MAX_DIRS = 10;

function fusionError(res: ServerResponse, code: number, error: string): void {
  sendJson(res, 400, { code, error });
}

/** CDN refresh / prefetch: `QBox` auth over the path only (the JSON body is not signed). */
export async function handleFusion(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const body = await readBody(req, 1024 * 1024);
  verifyManagement(state, req, Buffer.alloc(0));
  if (req.method !== 'POST') throw new QiniuError(405, 'method not allowed');
  const { urls = [], dirs = [] } = parseJson<{ urls?: string[]; dirs?: string[] }>(body);
  const requestId = randomBytes(12).toString('hex');
  const taskIds = Object.fromEntries([...urls, ...dirs].map((u) => [u, randomBytes(8).toString('hex')]));
  if (path === '/v2/tune/refresh') {
    if (urls.length > MAX_URLS) return fusionError(res, 400003, 'url count exceeds the limit');
    if (dirs.length > MAX_DIRS) return fusionError(res, 400004, 'dir count exceeds the limit');
    if (dirs.some((d) => !d.endsWith('/'))) return fusionError(res, 400002, 'invalid dir: must end with /');
    state.refreshed.urls.push(...urls);
    state.refreshed.dirs.push(...dirs);
    return sendJson(res, 200, {
      code: 200, error: 'success', requestId, taskIds, invalidUrls: null, invalidDirs: null,
      urlQuotaDay: 10000, urlSurplusDay: 10000 - state.refreshed.urls.length, dirQuotaDay: 100, dirSurplusDay: 100 - state.refreshed.dirs.length,
    });
  }
  if (path === '/v2/tune/prefetch') {
    if (urls.length > MAX_URLS) return fusionError(res, 400003, 'url count exceeds the limit');
    state.prefetched.push(...urls);
    return sendJson(res, 200, { code: 200, error: 'success', requestId, taskIds, invalidUrls: null, quotaDay: 10000, surplusDay: 10000 - state.prefetched.length });
  }
  throw new QiniuError(404, 'no such api');
}
