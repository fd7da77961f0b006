import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyPrivateUrl } from './auth';
import { header, QiniuError } from './http';
import type { EmulatorState } from './state';

const BUCKET_PREFIX = '/_bucket/';

function locate(state: EmulatorState, path: string): { bucket: string; key: string } {
  if (path.startsWith(BUCKET_PREFIX)) {
    const rest = path.slice(BUCKET_PREFIX.length);
    const at = rest.indexOf('/');
    if (at < 0) throw new QiniuError(404, 'no such file or directory');
    return { bucket: decodeURIComponent(rest.slice(0, at)), key: decodeURIComponent(rest.slice(at + 1)) };
  }
  if (!state.downloadBucket) throw new QiniuError(404, 'no such bucket');
  return { bucket: state.downloadBucket, key: decodeURIComponent(path.slice(1)) };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined means "whole body", null means unsatisfiable. */
function parseRange(range: string | undefined, size: number): [number, number] | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(range ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(size - Number(m[2]), 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? null : [start, end];
}

/** `GET|HEAD /<key>` on the bucket domain (private buckets need `e` + `token`). */
export function handleDownload(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const { bucket, key } = locate(state, path);
  const objects = state.buckets.get(bucket);
  if (!objects) throw new QiniuError(404, 'no such bucket');
  if (state.privateBuckets.has(bucket)) verifyPrivateUrl(state, req);
  const obj = objects.get(key);
  if (!obj) throw new QiniuError(404, 'no such file or directory');
  const attname = new URL(req.url ?? '/', 'http://x').searchParams.get('attname');
  const headers: Record<string, string | number> = {
    'Content-Type': obj.mimeType,
    ETag: `"${obj.hash}"`,
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(Math.floor(obj.putTime / 10000)).toUTCString(),
  };
  if (attname) headers['Content-Disposition'] = `attachment; filename="${encodeURIComponent(attname)}"`;
  for (const [name, value] of Object.entries(obj.meta)) headers[name.replace(/^x-qn-meta-/i, 'X-Qn-Meta-')] = value;
  const range = parseRange(header(req, 'range'), obj.fsize);
  if (range === null) {
    res.writeHead(416, { 'Content-Range': `bytes */${obj.fsize}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const [start, end] = range ?? [0, obj.fsize - 1];
  const body = obj.data.subarray(start, end + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${obj.fsize}`;
  headers['Content-Length'] = body.length;
  res.writeHead(range ? 206 : 200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
