import { randomBytes } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, handleAdmin } from './admin';
import { handleDownload } from './download';
import type { ServiceClass } from './faults';
import { handleFormUpload } from './form-upload';
import { handleFusion } from './fusion';
import { QiniuError, readBody, sendJson } from './http';
import { handleManage, isRsfPath, isRsPath } from './manage';
import { handleResumable, isResumablePath } from './resumable';
import type { EmulatorState, RequestRecord } from './state';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function classify(method: string, path: string): RequestRecord['service'] {
  if (path.startsWith(ADMIN_PREFIX)) return 'admin';
  if ((method === 'POST' && path === '/') || isResumablePath(path)) return 'up';
  if (isRsPath(path)) return 'rs';
  if (isRsfPath(path)) return 'rsf';
  if (path.startsWith('/v2/tune/')) return 'fusion';
  if (path.startsWith('/pfop') || path.startsWith('/status/get/prefop')) return 'api';
  if (method === 'GET' || method === 'HEAD') return 'download';
  return 'unknown';
}

async function route(state: EmulatorState, req: IncomingMessage, res: ServerResponse, service: RequestRecord['service'], path: string, query: URLSearchParams): Promise<void> {
  switch (service) {
    case 'admin':
      return handleAdmin(state, req, res, path, query);
    case 'up':
      return path === '/' ? handleFormUpload(state, req, res) : handleResumable(state, req, res, path);
    case 'rs':
    case 'rsf':
      return handleManage(state, req, res, path, query);
    case 'fusion':
      return handleFusion(state, req, res, path);
    case 'download':
      return handleDownload(state, req, res, path);
    case 'api':
      throw new QiniuError(400, 'persistent processing is not emulated');
    default:
      throw new QiniuError(404, 'no such api');
  }
}

/**
 * Qiniu's up hosts take form uploads from web pages on any origin: they answer the CORS preflight (which a page
 * that watches upload progress always sends) and mark their replies readable cross-origin.
 */
function allowCrossOrigin(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'X-Reqid, X-Log');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(200, {
    'Access-Control-Allow-Methods': 'OPTIONS, HEAD, POST, PUT',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
    'Access-Control-Max-Age': '86400',
    'Content-Length': 0,
  });
  res.end();
  return true;
}

/** One listener for every service class; the path decides which one a request is for. */
export function createRequestListener(state: EmulatorState): RequestListener {
  return (req, res) => {
    if (allowCrossOrigin(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const service = classify(req.method ?? 'GET', path);
    res.setHeader('X-Reqid', randomBytes(12).toString('base64url'));
    res.setHeader('X-Log', `emulator.${service}`);
    res.on('finish', () => {
      if (service !== 'admin') state.requests.push({ service, method: req.method ?? '', path, status: res.statusCode });
    });
    void (async () => {
      try {
        if (service !== 'admin' && service !== 'unknown') {
          const fault = state.faults.take(service as ServiceClass);
          if (fault.delayMs > 0) await sleep(fault.delayMs);
          if (fault.status !== undefined) {
            await readBody(req).catch(() => undefined);
            if (fault.status === 0) {
              req.socket.destroy();
              return;
            }
            throw new QiniuError(fault.status, `injected fault: ${fault.status}`);
          }
        }
        await route(state, req, res, service, path, url.searchParams);
      } catch (err) {
        const status = err instanceof QiniuError ? err.status : 500;
        const message = err instanceof QiniuError ? err.message : `internal emulator error: ${(err as Error).message}`;
        if (!res.headersSent) sendJson(res, status, { error: message });
        else res.destroy();
      }
    })();
  };
}
