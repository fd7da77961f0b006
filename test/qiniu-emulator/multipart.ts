import { QiniuError } from './http';

export interface FilePart {
  data: Buffer;
  filename: string;
  contentType?: string;
}

export interface MultipartForm {
  fields: Map<string, string>;
  file?: FilePart;
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) headers.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  return headers;
}

function dispositionParam(disposition: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(disposition) ?? new RegExp(`;\\s*${name}=([^;]+)`, 'i').exec(disposition);
  return m?.[1];
}

/** A `multipart/form-data` body; fields may come in any order (the SDK sends `crc32` after the file). */
export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartForm {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!contentType?.toLowerCase().startsWith('multipart/form-data') || !m) {
    throw new QiniuError(400, 'request Content-Type isn\'t multipart/form-data');
  }
  const delimiter = Buffer.from(`--${(m[1] ?? m[2]).trim()}`);
  const form: MultipartForm = { fields: new Map() };
  let start = body.indexOf(delimiter);
  if (start < 0) throw new QiniuError(400, 'malformed multipart body');
  while (true) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    start += 2; // CRLF after the delimiter
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next < 0) throw new QiniuError(400, 'malformed multipart body');
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new QiniuError(400, 'malformed multipart part');
    const headers = parseHeaders(part.subarray(0, headerEnd).toString('utf8'));
    const content = part.subarray(headerEnd + 4);
    const disposition = headers.get('content-disposition') ?? '';
    const name = dispositionParam(disposition, 'name');
    const filename = dispositionParam(disposition, 'filename');
    if (name === 'file') form.file = { data: content, filename: filename ?? '', contentType: headers.get('content-type') };
    else if (name !== undefined) form.fields.set(name, content.toString('utf8'));
    start = next + 2;
  }
  return form;
}
