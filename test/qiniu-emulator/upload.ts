import { createHash, randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { deliverCallback } from './callback';
import { corruptEtag, md5Hex } from './codec';
import { QiniuError } from './http';
import { sniffMime } from './mime-sniff';
import { checkContent, checkScope, isInsertOnly, PutPolicy, resolveKey } from './put-policy';
import type { EmulatorObject, EmulatorState } from './state';
import type { TemplateVars } from './template';
import { renderTemplate } from './template';

export interface UploadInput {
  policy: PutPolicy;
  bucket: string;
  /** undefined when the client sent no key. */
  requestedKey?: string;
  data: Buffer;
  /** Computed by the caller: form uploads and v2 multipart uploads hash differently. */
  hash: string;
  fname: string;
  clientMime?: string;
  customVars: Record<string, string>;
  meta: Record<string, string>;
}

export interface UploadReply {
  status: number;
  body: Buffer;
  contentType: string;
}

function timeVars(now: Date): TemplateVars {
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    year: String(now.getUTCFullYear()),
    mon: pad(now.getUTCMonth() + 1),
    day: pad(now.getUTCDate()),
    hour: pad(now.getUTCHours()),
    min: pad(now.getUTCMinutes()),
    sec: pad(now.getUTCSeconds()),
  };
}

/** Policy checks, insert-only rule, storage, then callback or returnBody: shared by form and v2 uploads. */
export async function finishUpload(state: EmulatorState, input: UploadInput): Promise<UploadReply> {
  const { policy, data } = input;
  const bucket = state.bucket(input.bucket);
  const detected = sniffMime(data);
  const vars: TemplateVars = {
    ...input.customVars,
    bucket: input.bucket,
    etag: input.hash,
    hash: input.hash,
    fname: input.fname,
    fsize: data.length,
    endUser: policy.endUser,
    uuid: randomUUID(),
    bodySha1: createHash('sha1').update(data).digest('hex'),
    ext: extname(input.fname),
    persistentId: '',
    ...timeVars(new Date(state.nowMs())),
  };
  const key = resolveKey(policy, input.requestedKey, vars);
  checkScope(policy, input.bucket, key);
  checkContent(policy, data.length, detected);

  const md5 = md5Hex(data);
  const existing = bucket.get(key);
  let stored: EmulatorObject;
  if (existing && isInsertOnly(policy)) {
    if (existing.md5 !== md5 || existing.fsize !== data.length) throw new QiniuError(614, 'file exists');
    stored = existing;
  } else {
    const clientMime = input.clientMime && input.clientMime !== 'application/octet-stream' ? input.clientMime : undefined;
    stored = {
      key,
      data,
      hash: input.hash,
      md5,
      fsize: data.length,
      mimeType: policy.detectMime ? detected : (clientMime ?? detected),
      putTime: state.nowMs() * 10000,
      type: 0,
      endUser: policy.endUser,
      meta: input.meta,
    };
    bucket.set(key, stored);
  }

  const reportedHash = state.faults.takeWrongHash() ? corruptEtag(stored.hash) : stored.hash;
  Object.assign(vars, {
    key,
    etag: reportedHash,
    hash: reportedHash,
    mimeType: stored.mimeType,
    fprefix: key.slice(0, key.length - extname(key).length),
    ext: extname(key) || vars.ext,
  });

  if (policy.callbackUrl) {
    const outcome = await deliverCallback(state, policy, vars);
    if (!outcome.ok) throw new QiniuError(579, outcome.reason);
    return { status: 200, body: outcome.body, contentType: outcome.contentType };
  }
  const body = policy.returnBody ? renderTemplate(policy.returnBody, vars, 'json') : JSON.stringify({ hash: reportedHash, key });
  return { status: 200, body: Buffer.from(body), contentType: 'application/json' };
}
