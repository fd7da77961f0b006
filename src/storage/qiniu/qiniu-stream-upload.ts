import { createHash } from 'node:crypto';
import * as qiniu from 'qiniu';
import { StorageUnavailableError } from '../storage.errors';
import { formUploadExtra } from './form-upload-extra';
import { qiniuEtagOfBlockDigests } from './qiniu-etag';
import { qiniuFailure, reqIdOf, transportFailure } from './qiniu-response';

// 4 MiB parts keep the stored hash the standard etag, and bound what one upload holds in memory.
export const STREAM_PART_SIZE = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 120_000;

/** What the upload token's returnBody makes Qiniu answer. */
export interface UploadReply {
  key?: string;
  hash?: string;
  fsize?: number;
  mimeType?: string;
}

export interface StreamUpload {
  config: qiniu.conf.Config;
  /** `http(s)://<up host>` */
  upBase: string;
  bucket: string;
  key: string;
  token: string;
  body: AsyncIterable<Buffer>;
}

/** The reply, and the Qiniu hash of the bytes that were actually read from the stream (to compare with the reply). */
export interface StreamUploadResult {
  reply: UploadReply;
  localHash: string;
  size: number;
}

/**
 * Uploads a stream of unknown length without holding it: a stream that ends within one part goes as a form upload
 * (the SDK's FormUploader); a longer one as resumable upload v2, one 4 MiB part at a time, reading the next part only
 * once the previous one is stored. The SDK's own stream uploader needs the length up front, which a multipart
 * request body does not give, so the three v2 calls are made here as /work/shared/reference/qiniu.md §6.2 describes.
 * A failed multipart upload is aborted, so nothing is left in the bucket either way.
 */
export async function uploadStream(upload: StreamUpload): Promise<StreamUploadResult> {
  const parts = partsOf(upload.body, STREAM_PART_SIZE);
  const first = await parts.next();
  const { bytes, last } = first.value as Part;
  if (last) {
    const { data, resp } = await call('upload', () =>
      new qiniu.form_up.FormUploader(upload.config).put(upload.token, upload.key, bytes, formUploadExtra(upload.key, undefined, bytes)),
    );
    if (resp.statusCode !== 200) throw qiniuFailure('upload', resp.statusCode ?? 0, data, reqIdOf(resp.headers));
    return { reply: data as UploadReply, localHash: qiniuEtagOfBlockDigests([sha1(bytes)]), size: bytes.length };
  }
  return new MultipartUpload(upload).run(bytes, parts);
}

interface Part {
  bytes: Buffer;
  last: boolean;
}

/** Cuts the stream into parts of exactly `size` bytes (the last one shorter), knowing which part is the last. */
async function* partsOf(body: AsyncIterable<Buffer>, size: number): AsyncGenerator<Part, void> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    let rest = chunk;
    // Strictly more than a part: the full part is not the last one, bytes follow it.
    while (length + rest.length > size) {
      const take = size - length;
      pending.push(rest.subarray(0, take));
      yield { bytes: Buffer.concat(pending, size), last: false };
      pending = [];
      length = 0;
      rest = rest.subarray(take);
    }
    pending.push(rest);
    length += rest.length;
  }
  yield { bytes: Buffer.concat(pending, length), last: true };
}

class MultipartUpload {
  private readonly base: string;
  private readonly digests: Buffer[] = [];
  private readonly etags: { partNumber: number; etag: string }[] = [];
  private size = 0;

  constructor(private readonly upload: StreamUpload) {
    const encodedKey = Buffer.from(upload.key).toString('base64url');
    this.base = `${upload.upBase}/buckets/${encodeURIComponent(upload.bucket)}/objects/${encodedKey}/uploads`;
  }

  async run(firstPart: Buffer, rest: AsyncGenerator<Part, void>): Promise<StreamUploadResult> {
    const { uploadId } = (await this.request('upload init', 'POST', this.base, '', 'application/json')) as { uploadId: string };
    try {
      await this.putPart(uploadId, firstPart);
      for await (const part of rest) await this.putPart(uploadId, part.bytes);
      const reply = (await this.request(
        'upload complete',
        'POST',
        `${this.base}/${uploadId}`,
        JSON.stringify({ parts: this.etags, fname: this.upload.key.split('/').pop() }),
        'application/json',
      )) as UploadReply;
      return { reply, localHash: qiniuEtagOfBlockDigests(this.digests), size: this.size };
    } catch (error) {
      await fetch(`${this.base}/${uploadId}`, { method: 'DELETE', headers: this.auth(), signal: AbortSignal.timeout(10_000) }).catch(
        () => undefined,
      );
      throw error;
    }
  }

  private async putPart(uploadId: string, bytes: Buffer): Promise<void> {
    const partNumber = this.etags.length + 1;
    const md5 = createHash('md5').update(bytes).digest('hex');
    const reply = (await this.request('upload part', 'PUT', `${this.base}/${uploadId}/${partNumber}`, bytes, 'application/octet-stream', {
      'Content-MD5': md5,
    })) as { etag?: string; md5?: string };
    if (!reply.etag || reply.md5 !== md5) throw new StorageUnavailableError(`Qiniu stored part ${partNumber} of ${this.upload.key} damaged`);
    this.etags.push({ partNumber, etag: reply.etag });
    this.digests.push(sha1(bytes));
    this.size += bytes.length;
  }

  private async request(operation: string, method: string, url: string, body: string | Buffer, contentType: string, headers = {}): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...this.auth(), 'Content-Type': contentType, ...headers },
        body: typeof body === 'string' ? body : new Uint8Array(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw transportFailure(operation, err);
    }
    const data: unknown = await res.json().catch(() => undefined);
    if (res.status !== 200) throw qiniuFailure(operation, res.status, data, res.headers.get('x-reqid') ?? undefined);
    return data;
  }

  private auth(): Record<string, string> {
    return { Authorization: `UpToken ${this.upload.token}` };
  }
}

function sha1(bytes: Buffer): Buffer {
  return createHash('sha1').update(bytes).digest();
}

/** The SDK resolves on every HTTP answer and rejects only when there was none. */
async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw transportFailure(operation, err);
  }
}
