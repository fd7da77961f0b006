import type { IncomingMessage } from 'node:http';
import { fromB64url, hmacSha1, safeEqual } from './codec';
import { header, QiniuError } from './http';
import type { PutPolicy } from './put-policy';
import type { EmulatorState } from './state';

const MAX_CLOCK_SKEW_SEC = 15 * 60;

/** Checks `AK:sign:encodedPolicy` and the deadline; returns the decoded policy. */
export function verifyUploadToken(state: EmulatorState, token: string | undefined): PutPolicy {
  const parts = (token ?? '').split(':');
  if (parts.length !== 3) throw new QiniuError(401, 'bad token');
  const [accessKey, sign, encodedPolicy] = parts;
  if (accessKey !== state.accessKey || !safeEqual(sign, hmacSha1(state.secretKey, encodedPolicy))) {
    throw new QiniuError(401, 'bad token');
  }
  let policy: PutPolicy;
  try {
    policy = JSON.parse(fromB64url(encodedPolicy).toString('utf8')) as PutPolicy;
  } catch {
    throw new QiniuError(401, 'invalid put policy encoding');
  }
  if (typeof policy.scope !== 'string' || typeof policy.deadline !== 'number') {
    throw new QiniuError(401, 'invalid put policy encoding');
  }
  const late = state.nowSec() - policy.deadline;
  if (late > 0) throw new QiniuError(401, `token expired ${late} seconds ago`);
  state.bucket(policy.scope.split(':')[0]);
  return policy;
}

export function uploadTokenFromHeader(req: IncomingMessage): string | undefined {
  const auth = header(req, 'authorization') ?? '';
  return auth.startsWith('UpToken ') ? auth.slice('UpToken '.length).trim() : undefined;
}

/** `QBox` signature: path[?query] + "\n" + body when form-encoded. Also used to sign callbacks. */
export function qboxSignature(secretKey: string, pathAndQuery: string, formBody?: Buffer | string): string {
  return hmacSha1(secretKey, Buffer.concat([Buffer.from(`${pathAndQuery}\n`), Buffer.from(formBody ?? '')]));
}

function mainType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase();
}

function canonicalHeaderName(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('-');
}

/** Every string the `Qiniu` scheme may have signed for this request (see the SDK's Host/Content-Type quirks). */
function qiniuSigningCandidates(req: IncomingMessage, body: Buffer): Buffer[] {
  const host = header(req, 'host') ?? '';
  const port = host.includes(':') ? host.split(':').pop() : undefined;
  const hosts = port ? [host, `${host}:${port}`] : [host];
  const contentType = header(req, 'content-type');
  // The SDK signs x-www-form-urlencoded when the request has no Content-Type of its own.
  const contentTypes = contentType === undefined ? [undefined, 'application/x-www-form-urlencoded'] : [contentType];
  const qiniuHeaders = Object.keys(req.headers)
    .map((name) => canonicalHeaderName(name))
    .filter((name) => name.startsWith('X-Qiniu-') && name.length > 'X-Qiniu-'.length)
    .sort()
    .map((name) => `\n${name}: ${header(req, name)}`)
    .join('');
  const candidates: Buffer[] = [];
  for (const h of hosts) {
    for (const ct of contentTypes) {
      let text = `${req.method} ${req.url}\nHost: ${h}`;
      if (ct !== undefined) text += `\nContent-Type: ${ct}`;
      text += `${qiniuHeaders}\n\n`;
      const signBody = body.length > 0 && mainType(ct) !== 'application/octet-stream';
      candidates.push(Buffer.concat([Buffer.from(text), signBody ? body : Buffer.alloc(0)]));
    }
  }
  return candidates;
}

function checkQiniuDate(state: EmulatorState, req: IncomingMessage): void {
  const date = header(req, 'x-qiniu-date');
  if (date === undefined) return;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) throw new QiniuError(403, 'invalid X-Qiniu-Date');
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  if (Math.abs(state.nowSec() - signedAt) > MAX_CLOCK_SKEW_SEC) {
    throw new QiniuError(403, 'X-Qiniu-Date is too far from the server time');
  }
}

/** Management requests (rs, rsf, fusion) signed with either `QBox` or `Qiniu`. */
export function verifyManagement(state: EmulatorState, req: IncomingMessage, body: Buffer): void {
  const auth = header(req, 'authorization') ?? '';
  const m = /^(QBox|Qiniu) ([^:]+):(\S+)$/.exec(auth);
  if (!m || m[2] !== state.accessKey) throw new QiniuError(401, 'bad token');
  const [, scheme, , sign] = m;
  if (scheme === 'QBox') {
    const formBody = mainType(header(req, 'content-type')) === 'application/x-www-form-urlencoded' ? body : undefined;
    if (!safeEqual(sign, qboxSignature(state.secretKey, req.url ?? '/', formBody))) throw new QiniuError(401, 'bad token');
    return;
  }
  const ok = qiniuSigningCandidates(req, body).some((data) => safeEqual(sign, hmacSha1(state.secretKey, data)));
  if (!ok) throw new QiniuError(401, 'bad token');
  checkQiniuDate(state, req);
}

/** Private download URL: `…?e=<deadline>&token=AK:b64url(hmac(url up to e))`. */
export function verifyPrivateUrl(state: EmulatorState, req: IncomingMessage): void {
  const raw = req.url ?? '/';
  const at = raw.lastIndexOf('&token=');
  if (at < 0) throw new QiniuError(401, 'download token not specified');
  const signedUrl = `http://${header(req, 'host')}${raw.slice(0, at)}`;
  const [accessKey, sign] = decodeURIComponent(raw.slice(at + '&token='.length)).split(':');
  const deadline = Number(new URL(signedUrl).searchParams.get('e'));
  if (accessKey !== state.accessKey || !sign || !safeEqual(sign, hmacSha1(state.secretKey, signedUrl))) {
    throw new QiniuError(401, 'bad token');
  }
  if (!Number.isFinite(deadline) || deadline < state.nowSec()) throw new QiniuError(401, 'token out of date');
}
