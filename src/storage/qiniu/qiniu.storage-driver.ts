import { createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rm, stat as statFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import * as qiniu from 'qiniu';
import type { QiniuStorageOptions } from '../../config/storage.config';
import { ACCEPTED_CONTENT_TYPES } from '../../images/image-formats';
import { DirectUploadPolicy, DirectUploadTicket, ListedObject, StorageDriver, StoredObject } from '../storage-driver';
import { StorageNotFoundError, StorageRejectedError, StorageUnavailableError } from '../storage.errors';
import { formUploadExtra } from './form-upload-extra';
import { QiniuEtag, qiniuEtagOfBuffer, qiniuEtagOfFile } from './qiniu-etag';
import { qiniuFailure, reqIdOf, transportFailure } from './qiniu-response';
import { uploadStream } from './qiniu-stream-upload';

const SERVER_TOKEN_TTL_SEC = 600;
// 4 MiB parts keep the stored hash the standard etag (other part sizes give the 0x9e variant).
const PART_SIZE = 4 * 1024 * 1024;
const BATCH_LIMIT = 1000;
const LIST_PAGE = 1000;
// A key nobody writes: a bucket that answers "not found" for it is reachable with these credentials.
const PROBE_KEY = 'health/probe';
const REFRESH_LIMIT = 60;
const DOWNLOAD_TIMEOUT_MS = 120_000;
const CDN_TIMEOUT_MS = 30_000;
const RETURN_BODY = '{"key":"$(key)","hash":"$(etag)","fsize":$(fsize),"mimeType":"$(mimeType)"}';
// Form-encoded, because Qiniu's callback signature covers the body only for this type (with JSON, only the path).
const CALLBACK_BODY = 'key=$(key)&hash=$(etag)&fsize=$(fsize)&mimeType=$(mimeType)';

interface UploadReply {
  key?: string;
  hash?: string;
  fsize?: number;
  mimeType?: string;
}

interface SdkResult {
  data: unknown;
  resp: { statusCode?: number; headers?: unknown };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function resumableExtra(key: string, contentType: string): qiniu.resume_up.PutExtra {
  return qiniu.resume_up.PutExtra.create(basename(key), {}, contentType, undefined, undefined, PART_SIZE, 'v2');
}

/**
 * The SDK's uploads go through urllib, which opens a new connection per request unless the SDK's module-wide
 * RPC_HTTP(S)_AGENT is set. (Management calls ignore every agent setting in SDK 7.15 and open one connection each;
 * they are off the hot path: stat only confirms a re-upload of existing bytes, delete runs in the background.)
 */
function keepSdkConnectionsAlive(): void {
  const conf = qiniu.conf as unknown as { RPC_HTTP_AGENT: http.Agent | null; RPC_HTTPS_AGENT: https.Agent | null };
  conf.RPC_HTTP_AGENT ??= new http.Agent({ keepAlive: true });
  conf.RPC_HTTPS_AGENT ??= new https.Agent({ keepAlive: true });
}

/** Qiniu Kodo through the official SDK, pointed at explicit hosts (no region query, no region cache file). */
export class QiniuStorageDriver extends StorageDriver {
  readonly name = 'qiniu' as const;
  private readonly mac: qiniu.auth.digest.Mac;
  private readonly config: qiniu.conf.Config;
  private readonly bucketManager: qiniu.rs.BucketManager;
  private readonly formUploader: qiniu.form_up.FormUploader;
  private readonly resumeUploader: qiniu.resume_up.ResumeUploader;
  private readonly scheme: 'http' | 'https';

  constructor(private readonly options: QiniuStorageOptions) {
    super();
    this.scheme = options.useHttps ? 'https' : 'http';
    this.mac = new qiniu.auth.digest.Mac(options.accessKey, options.secretKey);
    const endpoint = (host: string) => [new qiniu.httpc.Endpoint(host, { defaultScheme: this.scheme })];
    const region = new qiniu.httpc.Region({
      regionId: 'configured',
      services: { up: endpoint(options.upHost), rs: endpoint(options.rsHost), rsf: endpoint(options.rsfHost), api: endpoint(options.apiHost) },
    });
    this.config = new qiniu.conf.Config({ regionsProvider: region, useHttpsDomain: options.useHttps });
    this.config.regionsQueryResultCachePath = null;
    this.bucketManager = new qiniu.rs.BucketManager(this.mac, this.config);
    this.formUploader = new qiniu.form_up.FormUploader(this.config);
    this.resumeUploader = new qiniu.resume_up.ResumeUploader(this.config);
    keepSdkConnectionsAlive();
  }

  hashFile(filePath: string): Promise<string> {
    return qiniuEtagOfFile(filePath);
  }

  async put(key: string, filePath: string, contentType: string): Promise<StoredObject> {
    const [hash, { size }] = await Promise.all([qiniuEtagOfFile(filePath), statFile(filePath)]);
    const token = this.serverUploadToken(key, size);
    const sent = await this.call('upload', () =>
      size < this.options.resumableThresholdBytes
        ? this.formUploader.putFile(token, key, filePath, formUploadExtra(key, contentType))
        : this.resumeUploader.putFile(token, key, filePath, resumableExtra(key, contentType)),
    );
    return this.confirmUpload(key, hash, size, contentType, sent);
  }

  hashOf(bytes: Buffer): string {
    return qiniuEtagOfBuffer(bytes);
  }

  async putBuffer(key: string, bytes: Buffer, contentType: string, hash: string): Promise<StoredObject> {
    const token = this.serverUploadToken(key, bytes.length);
    const sent = await this.call('upload', () =>
      bytes.length < this.options.resumableThresholdBytes
        ? this.formUploader.put(token, key, bytes, formUploadExtra(key, contentType, bytes))
        : this.resumeUploader.putStream(token, key, Readable.from([bytes]), bytes.length, resumableExtra(key, contentType)),
    );
    return this.confirmUpload(key, hash, bytes.length, contentType, sent);
  }

  async putStream(key: string, body: AsyncIterable<Buffer>, maxBytes: number): Promise<StoredObject> {
    const token = this.uploadToken({
      scope: `${this.options.bucket}:${key}`,
      insertOnly: 1,
      fsizeLimit: maxBytes,
      returnBody: RETURN_BODY,
      expires: SERVER_TOKEN_TTL_SEC,
    });
    const { reply, localHash, size } = await uploadStream({
      config: this.config,
      upBase: `${this.scheme}://${this.options.upHost}`,
      bucket: this.options.bucket,
      key,
      token,
      body,
    });
    if (!reply.key || !reply.hash) throw new StorageUnavailableError(`Qiniu upload of ${key} did not complete`);
    if (reply.key !== key) throw new StorageRejectedError(`Qiniu stored ${key} under another key`, 200);
    if (reply.hash !== localHash) {
      await this.delete([key]).catch(() => undefined);
      throw new StorageUnavailableError(`Qiniu reports hash ${reply.hash} for ${key}, the streamed bytes have ${localHash}`);
    }
    return { key, size: reply.fsize ?? size, contentType: reply.mimeType ?? 'application/octet-stream', hash: reply.hash };
  }

  async probe(): Promise<void> {
    await this.stat(PROBE_KEY);
  }

  async stat(key: string): Promise<StoredObject | null> {
    const { data, resp } = await this.call('stat', () => this.bucketManager.stat(this.options.bucket, key));
    if (resp.statusCode === 612) return null;
    if (resp.statusCode !== 200) throw qiniuFailure('stat', resp.statusCode ?? 0, data, reqIdOf(resp.headers));
    const info = data as { fsize: number; hash: string; mimeType: string };
    return { key, size: info.fsize, contentType: info.mimeType, hash: info.hash };
  }

  async download(key: string, destinationPath: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.urlFor(key), { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    } catch (err) {
      throw transportFailure('download', err);
    }
    if (!res.ok || !res.body) {
      const body: unknown = await res.json().catch(() => undefined);
      if (res.status === 404) throw new StorageNotFoundError(`Qiniu has no object ${key}`);
      throw qiniuFailure('download', res.status, body, res.headers.get('x-reqid') ?? undefined);
    }
    try {
      // Hashed on the way to the file, so the bytes are read once.
      const received = new QiniuEtag();
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, next) {
          received.update(chunk);
          next(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as WebReadableStream), hashing, createWriteStream(destinationPath));
      const etag = res.headers.get('etag')?.replace(/"/g, '');
      // Only the standard hashes (F…/l…) can be recomputed from the bytes; v2 multipart objects use another scheme.
      if (etag && /^[Fl][\w-]{27}$/.test(etag) && received.digest() !== etag) {
        throw new StorageUnavailableError(`downloaded bytes of ${key} do not match its hash ${etag}`);
      }
    } catch (err) {
      await rm(destinationPath, { force: true });
      throw err instanceof StorageUnavailableError ? err : transportFailure('download', err);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const batch of chunks([...new Set(keys)], BATCH_LIMIT)) {
      const ops = batch.map((key) => qiniu.rs.deleteOp(this.options.bucket, key));
      const { data, resp } = await this.call('delete', () => this.bucketManager.batch(ops));
      const reqId = reqIdOf(resp.headers);
      if (resp.statusCode !== 200 && resp.statusCode !== 298) throw qiniuFailure('delete', resp.statusCode ?? 0, data, reqId);
      const failed = (data as Array<{ code: number; data?: unknown }>).find((r) => r.code !== 200 && r.code !== 612);
      if (failed) throw qiniuFailure('delete', failed.code, failed.data, reqId);
    }
  }

  urlFor(key: string): string {
    const base = this.options.publicBaseUrl;
    if (!this.options.privateBucket) return this.bucketManager.publicDownloadUrl(base, key);
    const deadline = Math.floor(Date.now() / 1000) + this.options.downloadUrlExpiresSec;
    return this.bucketManager.privateDownloadUrl(base, key, deadline);
  }

  /** CdnManager hard-codes fusion.qiniuapi.com, so the refresh request is made here with the SDK's QBox signer. */
  async purgeFromCdn(keys: string[]): Promise<void> {
    const url = `${this.scheme}://${this.options.cdnHost}/v2/tune/refresh`;
    for (const batch of chunks([...new Set(keys)], REFRESH_LIMIT)) {
      const urls = batch.map((key) => this.bucketManager.publicDownloadUrl(this.options.publicBaseUrl, key));
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: qiniu.util.generateAccessToken(this.mac, url) },
          body: JSON.stringify({ urls }),
          signal: AbortSignal.timeout(CDN_TIMEOUT_MS),
        });
      } catch (err) {
        throw transportFailure('CDN refresh', err);
      }
      const body = (await res.json().catch(() => undefined)) as { code?: number } | undefined;
      if (res.status !== 200 || body?.code !== 200) {
        throw qiniuFailure('CDN refresh', res.status === 200 ? (body?.code ?? 0) : res.status, body, res.headers.get('x-reqid') ?? undefined);
      }
    }
  }

  issueDirectUpload(policy: DirectUploadPolicy): DirectUploadTicket {
    // PutPolicy turns 0 into its 3600 s default, and an empty mimeLimit would allow any type.
    if (!(policy.expiresInSec > 0)) throw new RangeError('expiresInSec must be positive');
    if (policy.allowedTypes.length === 0) throw new RangeError('allowedTypes must not be empty');
    const callbackUrl = policy.callbackUrl ?? this.options.callbackUrl;
    const token = this.uploadToken({
      scope: `${this.options.bucket}:${policy.key}`,
      insertOnly: 1,
      fsizeLimit: policy.maxBytes,
      mimeLimit: policy.allowedTypes.join(';'),
      returnBody: RETURN_BODY,
      expires: policy.expiresInSec,
      ...(callbackUrl ? { callbackUrl, callbackBodyType: 'application/x-www-form-urlencoded', callbackBody: CALLBACK_BODY } : {}),
    });
    const { deadline } = JSON.parse(Buffer.from(token.split(':')[2], 'base64url').toString('utf8')) as { deadline: number };
    return { uploadUrl: `${this.scheme}://${this.options.upHost}/`, token, expiresAt: new Date(deadline * 1000) };
  }

  private uploadToken(policy: qiniu.rs.PutPolicyOptions): string {
    return new qiniu.rs.PutPolicy(policy).uploadToken(this.mac);
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    let marker = '';
    do {
      const { data, resp } = await this.call('list', () =>
        this.bucketManager.listPrefix(this.options.bucket, { prefix, marker, limit: LIST_PAGE }),
      );
      if (resp.statusCode !== 200) throw qiniuFailure('list', resp.statusCode ?? 0, data, reqIdOf(resp.headers));
      const page = data as { items?: { key: string; fsize: number; putTime: number }[]; marker?: string };
      // putTime counts 100-nanosecond units since the epoch.
      for (const item of page.items ?? []) yield { key: item.key, size: item.fsize, storedAt: new Date(item.putTime / 10_000) };
      marker = page.marker ?? '';
    } while (marker);
  }

  private serverUploadToken(key: string, size: number): string {
    return this.uploadToken({
      scope: `${this.options.bucket}:${key}`,
      insertOnly: 1,
      fsizeLimit: Math.max(size, 1),
      mimeLimit: ACCEPTED_CONTENT_TYPES.join(';'),
      returnBody: RETURN_BODY,
      expires: SERVER_TOKEN_TTL_SEC,
    });
  }

  /** What Qiniu says it stored must be these bytes under this key: `localHash` is their etag. */
  private async confirmUpload(key: string, localHash: string, size: number, contentType: string, { data, resp }: SdkResult): Promise<StoredObject> {
    const reqId = reqIdOf(resp.headers);
    // insertOnly: the key already holds an object; our keys carry a content hash, so it is usually these bytes.
    if (resp.statusCode === 614) return this.confirmExisting(key, localHash);
    if (resp.statusCode !== 200) throw qiniuFailure('upload', resp.statusCode ?? 0, data, reqId);
    const reply = (data ?? {}) as UploadReply;
    // The SDK resolves with 200 and a part reply when a v2 part's md5 does not match: an incomplete upload.
    if (!reply.key || !reply.hash) throw new StorageUnavailableError(`Qiniu upload of ${key} did not complete (reqid ${reqId})`);
    if (reply.key !== key) throw new StorageRejectedError(`Qiniu stored ${key} under another key (reqid ${reqId})`, 200);
    if (reply.hash !== localHash) {
      throw new StorageUnavailableError(`Qiniu reports hash ${reply.hash} for ${key}, the local bytes have ${localHash} (reqid ${reqId})`);
    }
    return { key, size: reply.fsize ?? size, contentType: reply.mimeType ?? contentType, hash: reply.hash };
  }

  private async confirmExisting(key: string, localHash: string): Promise<StoredObject> {
    const existing = await this.stat(key);
    if (existing && existing.hash === localHash) return existing;
    throw new StorageRejectedError(`Qiniu already holds different content under ${key}`, 614);
  }

  /** The SDK resolves on every HTTP answer and rejects only when there was none. */
  private async call(operation: string, send: () => Promise<SdkResult>): Promise<SdkResult> {
    try {
      return await send();
    } catch (err) {
      throw transportFailure(operation, err);
    }
  }
}
