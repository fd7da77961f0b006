import { qiniuEtagOfBuffer } from '../src/storage/qiniu/qiniu-etag';
import { qboxSignature } from './qiniu-emulator/auth';
import { QiniuEmulator } from './qiniu-emulator/qiniu-emulator';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
import { QINIU_BUCKET, qiniuEnv, startQiniuEmulator, storedKeys } from './support/qiniu';
import { Stack, eventually, freePort } from './support/stack';

// 4 WebP sizes and one JPEG per avatar, with the default AVATAR_SIZES.
const OBJECTS_PER_AVATAR = 5;

const photo = (colour: string) => solidJpeg(400, 400, colour);

describe('Qiniu storage: API and worker processes use the real qiniu SDK against the emulator', () => {
  let emulator: QiniuEmulator;
  let stack: Stack;

  beforeAll(async () => {
    emulator = await startQiniuEmulator();
    // Staged on disk, so that the injected upload faults hit the worker's uploads only (staging-store covers STAGING=storage).
    stack = new Stack({ env: { ...qiniuEnv(emulator), STAGING: 'disk', WORKER_CONCURRENCY: '1', TASK_RETRY_BACKOFF_MS: '300' } });
    await stack.start();
  });
  afterAll(async () => {
    await stack.destroy();
    await emulator.stop();
  });

  it('stores every rendition under its content-hash key with the right etag, and the URL serves those bytes', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const settled = await client.uploadAndSettle(await photo('#cc8800'));
    expect(settled.status).toBe('done');

    const keys = storedKeys(emulator, `avatars/${client.userId}/`);
    expect(keys).toHaveLength(OBJECTS_PER_AVATAR);
    const me = await client.request('GET', '/users/me');
    expect(me.body.avatarUrl).toMatch(new RegExp(`^http://${emulator.hostPort}/avatars/${client.userId}/[0-9a-f]{64}\\.webp$`));
    for (const url of [...Object.values(me.body.avatar.variants as Record<string, string>), me.body.avatar.jpeg]) {
      const key = new URL(url).pathname.slice(1);
      const stored = emulator.object(QINIU_BUCKET, key)!;
      const served = await fetchBytes(url);
      expect(served.status).toBe(200);
      expect(served.bytes.equals(stored.data)).toBe(true);
      expect(stored.hash).toBe(qiniuEtagOfBuffer(served.bytes));
      expect(served.headers.get('etag')).toBe(`"${stored.hash}"`);
    }
  });

  it('uploads the objects of a new avatar at once, one form upload each, and asks storage nothing else', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const before = emulator.requests.length;
    const settled = await client.uploadAndSettle(await photo('#88cc00'));
    expect(settled.status).toBe('done');
    const requests = emulator.requests.slice(before).map((r) => `${r.service} ${r.method} ${r.path}`);
    // No stat before or after: the store's own reply carries the key and hash, and no deletion ran meanwhile.
    expect(requests).toEqual(Array(OBJECTS_PER_AVATAR).fill('up POST /'));
  });

  it('retries when the first two uploads get 503, ending done with one set of objects and one avatar update', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    emulator.faults.failNext('up', 2, 503);
    const accepted = await client.upload(await photo('#0088cc'));
    const settled = await client.settle(accepted.body.uploadId);
    // An attempt sends its uploads at once, so both failures may land in the first attempt.
    expect(settled.status).toBe('done');
    expect(settled.attempts).toBeGreaterThanOrEqual(2);
    expect(await client.finishedJob(accepted.body.jobId)).toMatchObject({ state: 'completed', attemptsMade: settled.attempts });
    expect(storedKeys(emulator, `avatars/${client.userId}/`)).toHaveLength(OBJECTS_PER_AVATAR);
    const [user] = await stack.query<{ avatar_upload_id: string }>('SELECT avatar_upload_id FROM users WHERE id = ?', [client.userId]);
    expect(user.avatar_upload_id).toBe(accepted.body.uploadId);
  });

  it('fails an upload for good when storage rejects it, without touching the avatar', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    emulator.faults.failNext('up', 1, 401);
    const settled = await client.uploadAndSettle(await photo('#ff00ff'));
    expect(settled.status).toBe('failed');
    expect(settled.attempts).toBe(1);
    expect((await client.request('GET', '/users/me')).body.avatar).toBeNull();
  });

  it('deletes the replaced avatar objects after the grace period and purges them from the CDN', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const first = await client.uploadAndSettle(await photo('#112233'));
    const oldKeys = storedKeys(emulator, `avatars/${client.userId}/`);
    const second = await client.uploadAndSettle(await photo('#332211'));
    expect((await client.request('GET', '/users/me')).body.avatarUrl).toBe(second.avatarUrl);
    await eventually(async () => storedKeys(emulator, `avatars/${client.userId}/`), (keys) => keys.length === OBJECTS_PER_AVATAR, 15_000);
    const remaining = storedKeys(emulator, `avatars/${client.userId}/`);
    expect(remaining.some((key) => oldKeys.includes(key))).toBe(false);
    await eventually(async () => emulator.refreshed.urls, (urls) => urls.includes(first.avatarUrl), 5000);
    expect((await fetchBytes(second.avatarUrl)).status).toBe(200);
  });

  it('keeps the later upload when an earlier one finishes last after a retry', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    emulator.faults.failNext('up', 1, 503); // the first upload's first attempt fails, so it finishes after the second
    const first = await client.upload(await photo('#aa0000'));
    const second = await client.upload(await photo('#00aa00'));
    const [a, b] = [await client.settle(first.body.uploadId), await client.settle(second.body.uploadId)];
    expect([a.status, b.status]).toEqual(['done', 'done']);
    const rows = await stack.query<{ id: string; finished_at: Date }>(
      'SELECT id, finished_at FROM avatar_uploads WHERE user_id = ? ORDER BY finished_at',
      [client.userId],
    );
    expect(rows.map((row) => row.id)).toEqual([second.body.uploadId, first.body.uploadId]);
    expect((await client.request('GET', '/users/me')).body.avatarUrl).toBe(b.avatarUrl);
    expect((await client.finishedJob(first.body.jobId)).result).toMatchObject({ applied: false });
  });
});

describe('Qiniu upload callback and private bucket', () => {
  let emulator: QiniuEmulator;
  let stack: Stack;
  let callbackUrl: string;

  beforeAll(async () => {
    emulator = await startQiniuEmulator({ privateBucket: true });
    const port = await freePort();
    callbackUrl = `http://127.0.0.1:${port}/storage/qiniu/callback`;
    stack = new Stack({ port, env: { ...qiniuEnv(emulator), QINIU_PRIVATE_BUCKET: 'true', QINIU_CALLBACK_URL: callbackUrl } });
    await stack.start();
  });
  afterAll(async () => {
    await stack.destroy();
    await emulator.stop();
  });

  it('confirms a direct upload through the signed callback, and serves the avatar by signed URLs only', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const issued = await client.request('POST', '/users/me/avatar/upload-token', {});
    const form = new FormData();
    form.append('token', issued.body.token);
    form.append('key', issued.body.key);
    form.append('file', new Blob([new Uint8Array(await photo('#44aa88'))], { type: 'image/jpeg' }), 'me.jpg');
    const response = await fetch(issued.body.uploadUrl, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    // Qiniu hands the uploader whatever our callback answered: the queued upload.
    const accepted = (await response.json()) as { uploadId: string; status: string };
    expect(accepted).toMatchObject({ status: 'queued', uploadId: expect.any(String) });
    const settled = await client.settle(accepted.uploadId);
    expect(settled.status).toBe('done');
    expect((await client.request('POST', '/users/me/avatar/confirm', { key: issued.body.key })).status).toBe(409);

    const url = new URL((await client.request('GET', '/users/me')).body.avatarUrl);
    expect(url.searchParams.get('e')).toMatch(/^\d+$/);
    expect(url.searchParams.get('token')).toBeTruthy();
    expect((await fetchBytes(url.toString())).status).toBe(200);
    expect((await fetchBytes(`${url.origin}${url.pathname}`)).status).toBe(401);
  });

  it('refuses a forged callback with 401', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const issued = await client.request('POST', '/users/me/avatar/upload-token', {});
    const body = JSON.stringify({ key: issued.body.key, hash: 'Fx', fsize: 10, mimeType: 'image/png' });
    const forged = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'QBox e2e-access-key:bm90LWEtcmVhbC1zaWduYXR1cmU=' },
      body,
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(await stack.query('SELECT id FROM avatar_uploads WHERE user_id = ?', [client.userId])).toEqual([]);
  });

  it('refuses a replayed or altered callback with 401: the signature covers the form body, and JSON bodies are refused', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const [first, second] = [
      (await client.request('POST', '/users/me/avatar/upload-token', {})).body,
      (await client.request('POST', '/users/me/avatar/upload-token', {})).body,
    ];
    const { QINIU_ACCESS_KEY: accessKey, QINIU_SECRET_KEY: secretKey } = stack.env;
    const path = new URL(callbackUrl).pathname;
    const form = (key: string, fsize: number) => `key=${encodeURIComponent(key)}&hash=Fx&fsize=${fsize}&mimeType=image%2Fpng`;
    const post = (contentType: string, authorization: string, body: string) =>
      fetch(callbackUrl, { method: 'POST', headers: { 'content-type': contentType, authorization }, body });
    // A genuine signature, as Qiniu computes it, captured for the first key's callback.
    const captured = `QBox ${accessKey}:${qboxSignature(secretKey, path, form(first.key, 10))}`;

    expect((await post('application/x-www-form-urlencoded', captured, form(second.key, 10))).status).toBe(401);
    expect((await post('application/x-www-form-urlencoded', captured, form(first.key, 11))).status).toBe(401);
    // With a JSON body Qiniu signs only the path, so such a signature would fit any body: refused outright.
    const pathOnly = `QBox ${accessKey}:${qboxSignature(secretKey, path)}`;
    const json = await post('application/json', pathOnly, JSON.stringify({ key: second.key, hash: 'Fx', fsize: 10, mimeType: 'image/png' }));
    expect(json.status).toBe(401);
    expect(await json.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/form-encoded/) });
    expect(await stack.query('SELECT id FROM avatar_uploads WHERE user_id = ?', [client.userId])).toEqual([]);
  });
});
