import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const BLOCK = 4 * 1024 * 1024;

export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function fromB64url(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function hmacSha1(secret: string, data: Buffer | string): string {
  return b64url(createHmac('sha1', secret).update(data).digest());
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest();

/** Written independently of src/storage/qiniu/qiniu-etag.ts so the emulator cross-checks the driver. */
export function etagOf(data: Buffer): string {
  if (data.length <= BLOCK) return b64url(Buffer.concat([Buffer.of(0x16), sha1(data)]));
  const digests: Buffer[] = [];
  for (let i = 0; i < data.length; i += BLOCK) digests.push(sha1(data.subarray(i, i + BLOCK)));
  return b64url(Buffer.concat([Buffer.of(0x96), sha1(Buffer.concat(digests))]));
}

/** Hash of a v2 multipart object: standard unless a part size other than 4 MiB was used. */
export function etagOfParts(parts: Buffer[]): string {
  const standard = parts.every((p, i) => (i < parts.length - 1 ? p.length === BLOCK : p.length <= BLOCK));
  if (standard) return etagOf(Buffer.concat(parts));
  const inner = parts.map((p) => fromB64url(etagOf(p)).subarray(1));
  return b64url(Buffer.concat([Buffer.of(0x9e), sha1(Buffer.concat(inner))]));
}

/** A hash that is well-formed but wrong, for the wrong-hash fault. */
export function corruptEtag(etag: string): string {
  const raw = fromB64url(etag);
  raw[raw.length - 1] ^= 0xff;
  return b64url(raw);
}
