import Queue from 'bull';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from './fixtures/photo-like';
import { QiniuEmulator } from './qiniu-emulator/qiniu-emulator';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
import { qiniuEnv, startQiniuEmulator, storedKeys } from './support/qiniu';
import { Stack, eventually } from './support/stack';

const MAX_BYTES = 6 * 1024 * 1024;

/** A PNG of noise, which does not compress: about 3 bytes per pixel, so over one 4 MiB part. */
function noisyPng(width: number, height: number): Promise<Buffer> {
  const random = seededRandom(12);
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

function form(field: string, bytes: Buffer): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'avatar.jpg');
  return body;
}

describe('STAGING=storage: the API streams server-side uploads into the object store, workers fetch them from there', () => {
  let emulator: QiniuEmulator;
  let stack: Stack;
  let client: ApiClient;

  beforeAll(async () => {
    emulator = await startQiniuEmulator();
    // STAGING is left unset: with the Qiniu driver it defaults to storage.
    stack = new Stack({ env: { ...qiniuEnv(emulator), AVATAR_MAX_BYTES: String(MAX_BYTES), TASK_RETRY_BACKOFF_MS: '300' } });
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(async () => {
    await stack.destroy();
    await emulator.stop();
  });

  const temporaryObjects = () => storedKeys(emulator, 'incoming/');
  /** Resumable uploads started (POST …/uploads) and neither completed (POST …/uploads/<id>) nor aborted (DELETE). */
  const openMultipartUploads = () => {
    const up = emulator.requests.filter((r) => r.service === 'up');
    const started = up.filter((r) => r.method === 'POST' && /\/uploads$/.test(r.path)).length;
    const closed = up.filter((r) => (r.method === 'POST' || r.method === 'DELETE') && /\/uploads\/[^/]+$/.test(r.path)).length;
    return started - closed;
  };

  it('keeps the upload as incoming/<user>/<upload id> until the commit, then deletes it; no staged file anywhere', async () => {
    const accepted = await client.upload(await solidJpeg(300, 300, '#2255aa'));
    expect(accepted.status).toBe(202);
    const key = `incoming/${client.userId}/${accepted.body.uploadId}`;
    const [row] = await stack.query<{ direct_key: string | null; staged_path: string | null }>(
      'SELECT direct_key, staged_path FROM avatar_uploads WHERE id = ?',
      [accepted.body.uploadId],
    );
    expect(row).toEqual({ direct_key: key, staged_path: null });

    const settled = await client.settle(accepted.body.uploadId);
    expect(settled.status).toBe('done');
    expect((await fetchBytes(settled.avatarUrl)).status).toBe(200);
    await eventually(async () => temporaryObjects(), (keys) => keys.length === 0, 10_000);
    // The worker's scratch folder goes right after the commit; no upload ever lands in the staging folder.
    await eventually(async () => (existsSync(stack.stagingDir) ? readdirSync(stack.stagingDir) : []), (files) => files.length === 0, 10_000);
  });

  it('streams an upload larger than one part by resumable upload v2, and the avatar is made from those bytes', async () => {
    const png = await noisyPng(1300, 1300);
    expect(png.length).toBeGreaterThan(4 * 1024 * 1024);
    emulator.requests.length = 0;
    const accepted = await client.upload(png, 'avatar', 'big.png', 'image/png');
    expect(accepted.status).toBe(202);
    const parts = emulator.requests.filter((r) => r.service === 'up' && r.method === 'PUT');
    expect(parts.length).toBe(2);
    const [row] = await stack.query<{ size: number; content_type: string }>('SELECT size, content_type FROM avatar_uploads WHERE id = ?', [
      accepted.body.uploadId,
    ]);
    expect(row).toEqual({ size: png.length, content_type: 'image/png' });
    const settled = await client.settle(accepted.body.uploadId, 60_000);
    expect(settled.status).toBe('done');
    expect((await client.request('GET', '/users/me')).body.avatar).toMatchObject({ width: 1300, height: 1300 });
    await eventually(async () => temporaryObjects(), (keys) => keys.length === 0, 10_000);
  });

  it.each([
    ['a file over AVATAR_MAX_BYTES (cut off midway through the resumable upload)', () => form('avatar', Buffer.alloc(MAX_BYTES + 1024, 0xff)), 413],
    ['text named .jpg', () => form('avatar', Buffer.from('just some text, honest')), 415],
    ['an empty file', () => form('avatar', Buffer.alloc(0)), 400],
  ])('refuses %s and leaves no temporary object and no row', async (_, body, status) => {
    emulator.requests.length = 0;
    const reply = await client.request('POST', '/users/me/avatar', body());
    expect(reply.status).toBe(status);
    expect(reply.body).toMatchObject({ statusCode: status, message: expect.any(String) });
    expect(await stack.query('SELECT id FROM avatar_uploads WHERE status IN (?, ?)', ['queued', 'processing'])).toEqual([]);
    expect(temporaryObjects()).toEqual([]);
    expect(openMultipartUploads()).toBe(0);
    if (status === 413) expect(emulator.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('answers 503 when the store cannot take the upload, keeping no row and no object', async () => {
    emulator.faults.failNext('up', 1, 503);
    const reply = await client.upload(await solidJpeg(120, 120, '#00aa44'));
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ statusCode: 503, message: 'storage is unavailable; try again shortly' });
    expect(await stack.query('SELECT id FROM avatar_uploads WHERE status IN (?, ?)', ['queued', 'processing'])).toEqual([]);
    expect(temporaryObjects()).toEqual([]);
  });

  it('deletes the temporary object of an upload that fails for good', async () => {
    const corrupt = (await solidJpeg(200, 200, '#aa0000')).subarray(0, 400);
    const settled = await client.uploadAndSettle(corrupt);
    expect(settled).toMatchObject({ status: 'failed', error: expect.stringMatching(/corrupt|truncated/) });
    await eventually(async () => temporaryObjects(), (keys) => keys.length === 0, 10_000);
  });
});

describe('STAGING=storage with the scheduled sweep of incoming/ (every second, STAGING_RETENTION_HOURS=0.0005, i.e. 1.8 s)', () => {
  // The local driver keeps objects as files, which makes "behind the API's back" easy to write.
  const stack = new Stack({ env: { STAGING: 'storage', CLEANUP_CRON: '* * * * * *', STAGING_RETENTION_HOURS: '0.0005' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it("keeps a queued server-side upload's temporary object past the retention window, and removes one no upload needs", async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const queue = new Queue('avatars', { prefix: stack.prefix, redis: { host: '127.0.0.1', port: 6379, db: 0 } });
    try {
      await queue.pause(); // global: the upload stays queued while the maintenance queue keeps sweeping
      const accepted = await client.upload(await solidJpeg(96, 96, '#557799'));
      expect(accepted.status).toBe(202);
      const kept = join(stack.storageDir, `incoming/${client.userId}/${accepted.body.uploadId}`);
      const strayKey = `incoming/${client.userId}/00000000-0000-4000-8000-00000000beef`;
      writeFileSync(join(stack.storageDir, strayKey), await solidJpeg(64, 64, '#997755')); // an API that died before its row

      await eventually(async () => existsSync(join(stack.storageDir, strayKey)), (exists) => !exists, 20_000);
      expect(existsSync(kept)).toBe(true);

      await queue.resume();
      expect(await client.settle(accepted.body.uploadId, 30_000)).toMatchObject({ status: 'done' });
      await eventually(async () => existsSync(kept), (exists) => !exists, 10_000);
    } finally {
      await queue.close();
    }
  });
});
