import { createHmac, timingSafeEqual } from 'node:crypto';
import type { QiniuStorageOptions } from '../../config/storage.config';

type Headers = Record<string, string | string[] | undefined>;

function sign(secretKey: string, data: string): string {
  return createHmac('sha1', secretKey).update(data).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function canonical(name: string): string {
  return name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-');
}

/** Strings a `Qiniu` (v2) callback signature may cover: the correct Host and the SDK's `host:port:port` form. */
function qiniuSchemeData(url: URL, contentType: string | undefined, body: string, headers: Headers): string[] {
  const extra = Object.keys(headers)
    .map((name) => [canonical(name), headers[name]] as const)
    .filter(([name]) => name.startsWith('X-Qiniu-') && name.length > 'X-Qiniu-'.length)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `\n${name}: ${Array.isArray(value) ? value[0] : value}`)
    .join('');
  const hosts = url.port ? [url.host, `${url.host}:${url.port}`] : [url.host];
  const signBody = body.length > 0 && contentType !== 'application/octet-stream';
  return hosts.map(
    (host) => `POST ${url.pathname}${url.search}\nHost: ${host}${contentType ? `\nContent-Type: ${contentType}` : ''}${extra}\n\n${signBody ? body : ''}`,
  );
}

/**
 * Whether an upload callback really comes from Qiniu. `fullUrl` is the URL Qiniu called (as in callbackUrl),
 * `rawBody` the bytes received; `headers` is only needed for the `Qiniu` scheme (its X-Qiniu-* headers are signed).
 */
export function verifyQiniuCallback(
  options: Pick<QiniuStorageOptions, 'accessKey' | 'secretKey'>,
  fullUrl: string,
  rawBody: string | Buffer,
  contentType: string | undefined,
  authorization: string | undefined,
  headers: Headers = {},
): boolean {
  const m = /^(QBox|Qiniu) ([^:\s]+):(\S+)$/.exec(authorization ?? '');
  if (!m || !options.accessKey || !sameText(m[2], options.accessKey)) return false;
  let url: URL;
  try {
    url = new URL(fullUrl);
  } catch {
    return false;
  }
  const body = Buffer.isBuffer(rawBody) ? rawBody.toString('utf8') : rawBody;
  const type = contentType?.split(';')[0].trim().toLowerCase();
  const candidates =
    m[1] === 'QBox'
      ? [`${url.pathname}${url.search}\n${type === 'application/x-www-form-urlencoded' ? body : ''}`]
      : qiniuSchemeData(url, contentType, body, headers);
  // Evaluate every candidate so timing does not reveal which form matched.
  return candidates.map((data) => sameText(m[3], sign(options.secretKey, data))).some(Boolean);
}
