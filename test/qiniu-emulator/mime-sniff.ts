const startsWith = (data: Buffer, bytes: number[], offset = 0) => bytes.every((b, i) => data[offset + i] === b);

/** The type Qiniu would detect from the content (magic bytes), which is what `mimeLimit` is checked against. */
export function sniffMime(data: Buffer): string {
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (data.subarray(0, 6).toString('latin1') === 'GIF87a' || data.subarray(0, 6).toString('latin1') === 'GIF89a') return 'image/gif';
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (data.subarray(4, 8).toString('latin1') === 'ftyp') {
    const brand = data.subarray(8, 12).toString('latin1');
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'].includes(brand)) return 'image/heic';
  }
  if (startsWith(data, [0x42, 0x4d]) && data.length > 14) return 'image/bmp';
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  if (startsWith(data, [0x1f, 0x8b])) return 'application/x-gzip';
  const head = data.subarray(0, 512);
  if (head.length > 0 && !head.includes(0)) {
    const text = head.toString('utf8').trimStart();
    if (text.startsWith('{') || text.startsWith('[')) return 'application/json';
    if (/^<(!doctype html|html)/i.test(text)) return 'text/html';
    return 'text/plain';
  }
  return 'application/octet-stream';
}

/** `image/*`, `image/jpeg;image/png`, or `!a;b` (negates the whole list). */
export function mimeAllowed(limit: string, mime: string): boolean {
  const negate = limit.startsWith('!');
  const patterns = (negate ? limit.slice(1) : limit).split(';').map((p) => p.trim().toLowerCase()).filter(Boolean);
  const match = patterns.some((p) => (p.endsWith('/*') ? mime.startsWith(p.slice(0, -1)) : p === mime));
  return negate ? !match : match;
}
