import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { uploadTokenFromHeader, verifyUploadToken } from './auth';
import { corruptEtag, etagOf, etagOfParts, fromB64url, md5Hex } from './codec';
import { header, parseJson, QiniuError, readBody, sendJson, sendRaw } from './http';
import { checkScope, PutPolicy } from './put-policy';
import type { EmulatorState, UploadSession } from './state';
import { finishUpload } from './upload';

const ROUTE = /^\/buckets\/([^/]+)\/objects\/([^/]+)\/uploads(?:\/([^/]+)(?:\/([^/]+))?)?$/;
const SESSION_TTL_SEC = 7 * 24 * 3600;
const MIN_PART = 1024 * 1024;

interface CompleteBody {
  parts?: Array<{ partNumber: number; etag: string }>;
  fname?: string;
  mimeType?: string;
  customVars?: Record<string, string>;
  metadata?: Record<string, string>;
}

export function isResumablePath(path: string): boolean {
  return ROUTE.test(path);
}

function authorize(state: EmulatorState, req: IncomingMessage, bucket: string, key: string | undefined): PutPolicy {
  const policy = verifyUploadToken(state, uploadTokenFromHeader(req));
  checkScope(policy, bucket, key);
  return policy;
}

function session(state: EmulatorState, uploadId: string, bucket: string): UploadSession {
  const found = state.uploads.get(uploadId);
  if (!found || found.bucket !== bucket || found.expireAt < state.nowSec()) throw new QiniuError(612, 'no such uploadId');
  return found;
}

/** Resumable upload v2: init, part, complete, list parts, abort. */
export async function handleResumable(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const [, bucket, encodedKey, uploadId, partNumber] = ROUTE.exec(path) ?? [];
  const key = encodedKey === '~' ? undefined : fromB64url(encodedKey).toString('utf8');
  const body = await readBody(req);
  const policy = authorize(state, req, bucket, key);
  state.bucket(bucket);

  if (!uploadId && req.method === 'POST') {
    const id = randomBytes(16).toString('hex');
    const expireAt = state.nowSec() + SESSION_TTL_SEC;
    state.uploads.set(id, { bucket, key, token: uploadTokenFromHeader(req) ?? '', expireAt, parts: new Map() });
    return sendJson(res, 200, { uploadId: id, expireAt });
  }
  if (!uploadId) throw new QiniuError(405, 'method not allowed');
  const current = session(state, uploadId, bucket);

  if (partNumber !== undefined && req.method === 'PUT') {
    const n = Number(partNumber);
    if (!Number.isInteger(n) || n < 1 || n > 10000) throw new QiniuError(400, 'invalid partNumber');
    const md5 = md5Hex(body);
    const sentMd5 = header(req, 'content-md5');
    if (sentMd5 !== undefined && sentMd5.toLowerCase() !== md5) throw new QiniuError(400, 'Content-MD5 mismatch');
    const etag = etagOf(body);
    current.parts.set(n, { data: body, etag, md5, putTime: state.nowSec() });
    const reportedMd5 = state.faults.takeWrongHash() ? md5Hex(Buffer.from(corruptEtag(etag))) : md5;
    return sendJson(res, 200, { etag, md5: reportedMd5 });
  }
  if (partNumber !== undefined) throw new QiniuError(405, 'method not allowed');

  if (req.method === 'GET') {
    const parts = [...current.parts].sort(([a], [b]) => a - b).map(([n, p]) => ({ partNumber: n, etag: p.etag, size: p.data.length, putTime: p.putTime }));
    return sendJson(res, 200, { uploadId, expireAt: current.expireAt, partNumberMarker: 0, parts });
  }
  if (req.method === 'DELETE') {
    state.uploads.delete(uploadId);
    return sendJson(res, 200, {});
  }
  if (req.method !== 'POST') throw new QiniuError(405, 'method not allowed');

  const completion = parseJson<CompleteBody>(body);
  const listed = completion.parts ?? [];
  const chunks: Buffer[] = [];
  listed.forEach((p, i) => {
    if (i > 0 && p.partNumber <= listed[i - 1].partNumber) throw new QiniuError(400, 'parts must be in ascending order');
    const stored = current.parts.get(p.partNumber);
    if (!stored || stored.etag !== p.etag) throw new QiniuError(400, `invalid part ${p.partNumber}: etag mismatch or missing`);
    if (i < listed.length - 1 && stored.data.length < MIN_PART) throw new QiniuError(400, 'part size too small');
    chunks.push(stored.data);
  });
  const reply = await finishUpload(state, {
    policy,
    bucket,
    requestedKey: key,
    data: Buffer.concat(chunks),
    hash: chunks.length === 0 ? etagOf(Buffer.alloc(0)) : etagOfParts(chunks),
    fname: completion.fname ?? '',
    clientMime: completion.mimeType,
    customVars: Object.fromEntries(Object.entries(completion.customVars ?? {}).filter(([k]) => k.startsWith('x:'))),
    meta: completion.metadata ?? {},
  });
  state.uploads.delete(uploadId);
  sendRaw(res, reply.status, reply.body, reply.contentType);
}
