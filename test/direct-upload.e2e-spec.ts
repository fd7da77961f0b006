import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { QiniuEmulator } from './qiniu-emulator/qiniu-emulator';
import { ApiClient, fetchBytes } from './support/client';
import { QINIU_BUCKET, qiniuEnv, startQiniuEmulator } from './support/qiniu';
import { Stack, eventually, sleep } from './support/stack';

const MAX_BYTES = 64 * 1024;
const EXPIRES_SEC = 3;

const png = (colour: string) => sharp({ create: { width: 96, height: 96, channels: 3, background: colour } }).png().toBuffer();

/** What any browser uploader does with the ticket: a plain multipart POST, no SDK. */
async function postToStore(ticket: { uploadUrl: string; token: string; key: string }, bytes: Buffer, key = ticket.key) {
  const form = new FormData();
  form.append('token', ticket.token);
  form.append('key', key);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'avatar.png');
  const response = await fetch(ticket.uploadUrl, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

type Driver = 'local' | 'qiniu';

describe.each<Driver>(['local', 'qiniu'])('client direct upload on the %s driver', (driver) => {
  let emulator: QiniuEmulator | undefined;
  let stack: Stack;
  let alice: ApiClient;
  let bob: ApiClient;

  const objectExists = (key: string) =>
    driver === 'qiniu' ? emulator!.object(QINIU_BUCKET, key) !== undefined : existsSync(join(stack.storageDir, key));

  beforeAll(async () => {
    if (driver === 'qiniu') emulator = await startQiniuEmulator();
    stack = new Stack({
      env: {
        AVATAR_MAX_BYTES: String(MAX_BYTES),
        DIRECT_UPLOAD_EXPIRES_SEC: String(EXPIRES_SEC),
        ...(emulator ? qiniuEnv(emulator) : {}),
      },
    });
    await stack.start();
    alice = await new ApiClient(stack.baseUrl).signUp();
    bob = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(async () => {
    await stack.destroy();
    await emulator?.stop();
  });

  it('issues a token for one server-chosen key under the caller, then processes what storage holds', async () => {
    const issued = await alice.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/png', size: 2000 });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ maxBytes: MAX_BYTES, allowedTypes: expect.arrayContaining(['image/jpeg', 'image/png']) });
    expect(issued.body.key).toMatch(new RegExp(`^incoming/${alice.userId}/[0-9a-f-]{36}$`));
    expect(new Date(issued.body.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const stored = await postToStore(issued.body, await png('#884422'));
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ key: issued.body.key, mimeType: 'image/png' });

    const confirmed = await alice.request('POST', '/users/me/avatar/confirm', { key: issued.body.key });
    expect(confirmed.status).toBe(202);
    const settled = await alice.settle(confirmed.body.uploadId);
    expect(settled.status).toBe('done');

    const me = await alice.request('GET', '/users/me');
    expect(me.body.avatarUrl).toBe(settled.avatarUrl);
    const served = await fetchBytes(me.body.avatarUrl);
    expect(served.status).toBe(200);
    expect(createHash('sha256').update(served.bytes).digest('hex')).toBe(/([0-9a-f]{64})\.webp$/.exec(me.body.avatarUrl)![1]);
    // The temporary object goes right after the commit that marked the upload done.
    await eventually(async () => objectExists(issued.body.key), (exists) => !exists, 5000);

    const again = await alice.request('POST', '/users/me/avatar/confirm', { key: issued.body.key });
    expect(again.status).toBe(409);
  });

  it("refuses to confirm another user's key (403) and a key nothing was uploaded under (404)", async () => {
    const issued = await alice.request('POST', '/users/me/avatar/upload-token', {});
    expect((await bob.request('POST', '/users/me/avatar/confirm', { key: issued.body.key })).status).toBe(403);
    const missing = await alice.request('POST', '/users/me/avatar/confirm', { key: issued.body.key });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/nothing has been uploaded/);
  });

  it('lets the token write only its own key', async () => {
    const issued = await alice.request('POST', '/users/me/avatar/upload-token', {});
    const otherKey = `incoming/${bob.userId}/00000000-0000-0000-0000-000000000000`;
    const refused = await postToStore(issued.body, await png('#123456'), otherKey);
    expect(refused.status).toBe(403);
    expect(objectExists(otherKey)).toBe(false);
  });

  it('refuses an oversized file and a non-image by the token policy', async () => {
    const issued = await alice.request('POST', '/users/me/avatar/upload-token', {});
    const noise = Buffer.alloc(MAX_BYTES + 1024, 7);
    noise.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect((await postToStore(issued.body, noise)).status).toBe(413);
    // A token of its own: whether a refused upload hands its single-use token back is abuse-uploads' question.
    const second = await alice.request('POST', '/users/me/avatar/upload-token', {});
    const text = await postToStore(second.body, Buffer.from('<html><script>alert(1)</script></html>'));
    expect(driver === 'qiniu' ? [403] : [415]).toContain(text.status);
    expect(objectExists(issued.body.key)).toBe(false);
    expect(objectExists(second.body.key)).toBe(false);
  });

  it('refuses an expired token', async () => {
    const issued = await alice.request('POST', '/users/me/avatar/upload-token', {});
    await sleep((EXPIRES_SEC + 1.5) * 1000);
    const refused = await postToStore(issued.body, await png('#345678'));
    expect(refused.status).toBe(401);
    expect(String(refused.body.message ?? refused.body.error)).toMatch(/expired/);
    expect(objectExists(issued.body.key)).toBe(false);
  });

  it('refuses early what the client announces as too big or not an image', async () => {
    expect((await alice.request('POST', '/users/me/avatar/upload-token', { size: MAX_BYTES + 1 })).status).toBe(413);
    expect((await alice.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/svg+xml' })).status).toBe(400);
  });
});
