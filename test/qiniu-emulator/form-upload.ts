import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { verifyUploadToken } from './auth';
import { etagOf } from './codec';
import { header, QiniuError, readBody, sendRaw } from './http';
import { parseMultipart } from './multipart';
import { scopeOf } from './put-policy';
import type { EmulatorState } from './state';
import { finishUpload } from './upload';

const prefixed = (fields: Map<string, string>, prefix: string) =>
  Object.fromEntries([...fields].filter(([name]) => name.startsWith(prefix)));

/** `POST /` multipart form upload. */
export async function handleFormUpload(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = parseMultipart(await readBody(req), header(req, 'content-type'));
  const policy = verifyUploadToken(state, form.fields.get('token'));
  if (!form.file) throw new QiniuError(400, 'file is not specified in multipart');
  const data = form.file.data;
  const sentCrc = form.fields.get('crc32');
  if (sentCrc !== undefined && Number(sentCrc) !== crc32(data)) throw new QiniuError(406, 'crc32 not match');
  const reply = await finishUpload(state, {
    policy,
    bucket: scopeOf(policy).bucket,
    requestedKey: form.fields.get('key'),
    data,
    hash: etagOf(data),
    fname: form.file.filename,
    clientMime: form.file.contentType,
    customVars: prefixed(form.fields, 'x:'),
    meta: prefixed(form.fields, 'x-qn-meta-'),
  });
  sendRaw(res, reply.status, reply.body, reply.contentType);
}
