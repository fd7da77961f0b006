import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyManagement } from './auth';
import { b64url, fromB64url } from './codec';
import { header, QiniuError, readBody, sendEmpty, sendJson } from './http';
import type { EmulatorObject, EmulatorState } from './state';

interface OpResult {
  code: number;
  data?: unknown;
}

const RS_OPS = ['stat', 'delete', 'move', 'copy', 'chgm'];

export function isRsPath(path: string): boolean {
  return path === '/batch' || RS_OPS.some((op) => path.startsWith(`/${op}/`));
}

export function isRsfPath(path: string): boolean {
  return path === '/list';
}

function decodeEntry(entry: string | undefined): { bucket: string; key: string } {
  if (!entry) throw new QiniuError(400, 'invalid entry');
  const text = fromB64url(entry).toString('utf8');
  const at = text.indexOf(':');
  if (at < 0) throw new QiniuError(400, 'invalid entry');
  return { bucket: text.slice(0, at), key: text.slice(at + 1) };
}

function statOf(obj: EmulatorObject) {
  const meta = Object.keys(obj.meta).length > 0 ? { 'x-qn-meta': obj.meta } : {};
  return { fsize: obj.fsize, hash: obj.hash, md5: obj.md5, mimeType: obj.mimeType, putTime: obj.putTime, type: obj.type, ...meta };
}

function transfer(state: EmulatorState, segments: string[], keepSource: boolean): OpResult {
  const src = decodeEntry(segments[1]);
  const dest = decodeEntry(segments[2]);
  const force = segments[3] === 'force' && segments[4] === 'true';
  const from = state.bucket(src.bucket);
  const to = state.bucket(dest.bucket);
  const obj = from.get(src.key);
  if (!obj) throw new QiniuError(612, 'no such file or directory');
  if (to.has(dest.key) && !force) throw new QiniuError(614, 'file exists');
  to.set(dest.key, { ...obj, key: dest.key });
  if (!keepSource) from.delete(src.key);
  return { code: 200 };
}

/** One rs operation, as used both by its own endpoint and inside `/batch`. */
function runOp(state: EmulatorState, opPath: string): OpResult {
  try {
    const segments = opPath.replace(/^\//, '').split('/');
    const [op] = segments;
    if (op === 'stat' || op === 'delete' || op === 'chgm') {
      const { bucket, key } = decodeEntry(segments[1]);
      const objects = state.bucket(bucket);
      const obj = objects.get(key);
      if (!obj) throw new QiniuError(612, 'no such file or directory');
      if (op === 'stat') return { code: 200, data: statOf(obj) };
      if (op === 'delete') objects.delete(key);
      if (op === 'chgm' && segments[2] === 'mime' && segments[3]) obj.mimeType = fromB64url(segments[3]).toString('utf8');
      return { code: 200 };
    }
    if (op === 'move' || op === 'copy') return transfer(state, segments, op === 'copy');
    throw new QiniuError(400, `unknown op ${op}`);
  } catch (err) {
    if (err instanceof QiniuError) return { code: err.status, data: { error: err.message } };
    throw err;
  }
}

function formParams(req: IncomingMessage, body: Buffer): URLSearchParams {
  const isForm = (header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  return new URLSearchParams(isForm ? body.toString('utf8') : '');
}

function list(state: EmulatorState, params: URLSearchParams) {
  const bucketName = params.get('bucket') ?? '';
  const objects = state.bucket(bucketName);
  const prefix = params.get('prefix') ?? '';
  const delimiter = params.get('delimiter') ?? '';
  const limit = Math.min(Math.max(Number(params.get('limit') || 1000), 1), 1000);
  let after = '';
  const marker = params.get('marker');
  if (marker) {
    try {
      after = String((JSON.parse(fromB64url(marker).toString('utf8')) as { k: string }).k);
    } catch {
      throw new QiniuError(640, 'invalid marker');
    }
  }
  const items: Array<Record<string, unknown>> = [];
  const commonPrefixes = new Set<string>();
  let last = '';
  let more = false;
  for (const key of [...objects.keys()].sort()) {
    if (!key.startsWith(prefix) || key <= after) continue;
    if (items.length + commonPrefixes.size >= limit) {
      more = true;
      break;
    }
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    if (cut >= 0) commonPrefixes.add(prefix + rest.slice(0, cut + delimiter.length));
    else items.push({ key, ...statOf(objects.get(key)!), status: 0 });
    last = key;
  }
  return { items, commonPrefixes: [...commonPrefixes], marker: more ? b64url(JSON.stringify({ c: 0, k: last })) : '' };
}

/** rs (stat/delete/move/copy/chgm/batch) and rsf (list), all signed with `QBox` or `Qiniu`. */
export async function handleManage(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const body = await readBody(req, 16 * 1024 * 1024);
  verifyManagement(state, req, body);
  if (path === '/list') {
    const params = req.method === 'POST' ? new URLSearchParams([...query, ...formParams(req, body)]) : query;
    return sendJson(res, 200, list(state, params));
  }
  if (path === '/batch') {
    const ops = formParams(req, body).getAll('op');
    if (ops.length === 0) throw new QiniuError(400, 'no op specified');
    if (ops.length > 1000) throw new QiniuError(400, 'too many ops');
    const results = ops.map((op) => runOp(state, op));
    return sendJson(res, results.every((r) => r.code === 200) ? 200 : 298, results);
  }
  const result = runOp(state, path);
  if (result.code !== 200) throw new QiniuError(result.code, (result.data as { error: string }).error);
  if (result.data === undefined) return sendEmpty(res);
  sendJson(res, 200, result.data);
}
