import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import { scanBombJpeg } from './fixtures/scan-bomb';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually, freePort } from './support/stack';

// Attacks on the upload path, each shown failing against separate API and worker processes, with a legitimate
// user unaffected.

/** The issue's bomb: 1.3 MB, 20,000 scans over a 36 MP frame; about 100 s of decoding if nothing stops it. */
const bomb = scanBombJpeg(6000, 20_000);
const TOO_MANY_SCANS = /^the JPEG has more than 100 progressive scans/;

const uploadRows = async (stack: Stack, userId: number) =>
  (await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads WHERE user_id = ?', [userId]))[0].n;

const pendingUploads = async (stack: Stack, userId: number) =>
  (await stack.query<{ n: number }>("SELECT COUNT(*) AS n FROM avatar_uploads WHERE user_id = ? AND status IN ('queued', 'processing')", [userId]))[0].n;

describe('bounded work per upload', () => {
  // Two slots, so that two bombs can take every one of them.
  const stack = new Stack({ env: { WORKER_CONCURRENCY: '2' } });
  /** A second API replica whose own scan check is switched off, standing in for anything that gets past the API. */
  let lenientApi: string;

  beforeAll(async () => {
    await stack.start();
    const port = await freePort();
    await stack.startApi({ PORT: String(port), AVATAR_MAX_JPEG_SCANS: '1000000' });
    lenientApi = `http://127.0.0.1:${port}`;
  });
  afterAll(() => stack.destroy());

  it('refuses a scan bomb with 415 while it streams in, and keeps nothing of it', async () => {
    const attacker = await new ApiClient(stack.baseUrl).signUp();

    const reply = await attacker.upload(bomb);

    expect(reply.status).toBe(415);
    expect(reply.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringMatching(TOO_MANY_SCANS) });
    expect(await uploadRows(stack, attacker.userId)).toBe(0);
    expect(await readdir(stack.stagingDir)).toEqual([]);
  });

  it('fails a scan bomb that reaches the worker for good, after one attempt, with a reason a person understands', async () => {
    const attacker = await new ApiClient(lenientApi).signUp();

    const accepted = await attacker.upload(bomb);
    expect(accepted.status).toBe(202);
    const settled = await attacker.settle(accepted.body.uploadId);

    expect(settled).toMatchObject({ status: 'failed', attempts: 1 });
    expect(settled.error).toMatch(TOO_MANY_SCANS);
    expect(settled.error).toMatch(/save it again as a standard JPEG$/);
    expect(await attacker.finishedJob(accepted.body.jobId)).toMatchObject({ state: 'failed', attemptsMade: 1 });
    // Failed for good: its staged file goes at once, not after STAGING_RETENTION_HOURS.
    await eventually(() => readdir(stack.stagingDir), (names) => !names.some((name) => name.includes(accepted.body.uploadId)), 5000);
  });

  it('finishes a legitimate upload queued behind two bombs within seconds', async () => {
    const attacker = await new ApiClient(lenientApi).signUp();
    const user = await new ApiClient(stack.baseUrl).signUp();

    // Two bombs take both worker slots (WORKER_CONCURRENCY=2) before the legitimate upload arrives.
    const bombs = [await attacker.upload(bomb), await attacker.upload(bomb)];
    expect(bombs.map((reply) => reply.status)).toEqual([202, 202]);
    const legit = await user.upload(await solidJpeg(640, 480, '#3366aa'));
    expect(legit.status).toBe(202);

    // Unchecked, each bomb holds its slot for about 100 s; the deadline is generous for a loaded machine yet far below that.
    expect(await user.settle(legit.body.uploadId, 30_000)).toMatchObject({ status: 'done', attempts: 1 });
    for (const reply of bombs) {
      expect(await attacker.settle(reply.body.uploadId, 30_000)).toMatchObject({ status: 'failed', error: expect.stringMatching(TOO_MANY_SCANS) });
    }
  });
});

describe('the job time limit (TASK_TIME_LIMIT)', () => {
  // Scans allowed everywhere, so that only the time limit stands between this bomb and a worker slot.
  const stack = new Stack({ env: { TASK_TIME_LIMIT: '2', AVATAR_MAX_JPEG_SCANS: '1000000', WORKER_CONCURRENCY: '1' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it('fails an attempt that runs past the limit for good, frees the slot, and a later upload is processed', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();

    const slow = await client.upload(scanBombJpeg(6000, 3000)); // 10–15 s of decoding on an idle core
    expect(slow.status).toBe(202);
    const settled = await client.settle(slow.body.uploadId, 20_000);
    expect(settled).toMatchObject({ status: 'failed', attempts: 1, error: 'processing took longer than 2 s; try a smaller or simpler image' });
    expect(await client.finishedJob(slow.body.jobId)).toMatchObject({ state: 'failed', attemptsMade: 1 });

    // The only slot is free again while the abandoned decode still runs (the worker logs when it ends).
    const abandonedEnded = new RegExp(`upload job ${slow.body.jobId}: the attempt abandoned at the time limit has ended`);
    const next = await client.upload(await solidJpeg(320, 320, '#22aa44'));
    await eventually(() => client.request('GET', `/users/me/avatar/uploads/${next.body.uploadId}`), (r) => r.body.status !== 'queued', 30_000);
    expect(stack.workers[0].output).not.toMatch(abandonedEnded);
    const { avatarUrl } = await client.settle(next.body.uploadId, 60_000);
    expect(avatarUrl).toEqual(expect.any(String));

    // When the abandoned attempt finally ends, it must have changed nothing.
    await stack.workers[0].waitFor(abandonedEnded, 120_000);
    expect((await client.request('GET', `/users/me/avatar/uploads/${slow.body.uploadId}`)).body.status).toBe('failed');
    expect((await client.request('GET', '/users/me')).body.avatarUrl).toBe(avatarUrl);
  }, 240_000);
});

/** What a browser does with a direct-upload ticket: a multipart POST with `token` first, then `key` and `file`. */
async function postToStore(ticket: { uploadUrl: string; token: string; key: string }, bytes: Buffer) {
  const form = new FormData();
  form.append('token', ticket.token);
  form.append('key', ticket.key);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'avatar.jpg');
  const response = await fetch(ticket.uploadUrl, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('uploads in flight per user (AVATAR_MAX_PENDING_PER_USER=3)', () => {
  // No worker at first, so that uploads stay queued.
  const stack = new Stack({ workers: 0 });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  const photo = (n: number) => solidJpeg(200, 200, `#${(0x100000 + n * 0x1234).toString(16).slice(-6)}`);

  it('answers the upload after three pending ones with 429, Retry-After and a JSON message, keeping nothing of it', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    for (let n = 0; n < 3; n++) expect((await client.upload(await photo(n))).status).toBe(202);
    const staged = await readdir(stack.stagingDir);

    const refused = await client.upload(await photo(3));

    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'you already have 3 uploads waiting to be processed (at most 3); try again when one has finished',
    });
    expect(await uploadRows(stack, client.userId)).toBe(3);
    expect((await readdir(stack.stagingDir)).sort()).toEqual(staged.sort());
    // Another user is not held back by it.
    expect((await (await new ApiClient(stack.baseUrl).signUp()).upload(await photo(4))).status).toBe(202);
  });

  it('lets exactly three of six parallel uploads in', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const photos = await Promise.all([0, 1, 2, 3, 4, 5].map(photo));

    const replies = await Promise.all(photos.map((bytes) => client.upload(bytes)));

    expect(replies.map((reply) => reply.status).sort()).toEqual([202, 202, 202, 429, 429, 429]);
    expect(await uploadRows(stack, client.userId)).toBe(3);
  });

  it('counts confirmed direct uploads too; the refused confirm can be repeated once an upload has finished', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    for (let n = 0; n < 3; n++) expect((await client.upload(await photo(n))).status).toBe(202);
    const ticket = (await client.request('POST', '/users/me/avatar/upload-token', {})).body;
    expect((await postToStore(ticket, await photo(9))).status).toBe(200);

    const refused = await client.request('POST', '/users/me/avatar/confirm', { key: ticket.key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);

    // A worker arrives, the queue drains, and the same key can now be confirmed: a legitimate later upload works.
    await stack.startWorker();
    await eventually(() => pendingUploads(stack, client.userId), (n) => n === 0, 60_000);
    const confirmed = await client.request('POST', '/users/me/avatar/confirm', { key: ticket.key });
    expect(confirmed.status).toBe(202);
    expect(await client.settle(confirmed.body.uploadId, 30_000)).toMatchObject({ status: 'done' });
    const later = await client.upload(await photo(10));
    expect(later.status).toBe(202);
    expect(await client.settle(later.body.uploadId, 30_000)).toMatchObject({ status: 'done' });
  }, 120_000);

  it("answers 401 to a deleted user's still valid token, keeping no staged file", async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const staged = await readdir(stack.stagingDir);
    await stack.query('DELETE FROM users WHERE id = ?', [client.userId]);

    const reply = await client.upload(await photo(11));

    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    // The worker meanwhile removes other uploads' files and makes work folders, but no new staged file may appear.
    const added = (await readdir(stack.stagingDir)).filter((name) => !staged.includes(name) && !name.startsWith('work-'));
    expect(added).toEqual([]);
  });
});

/** A multipart body written by hand, so that part order and pauses are the test's to choose. */
function multipart(parts: Array<{ name: string; value: string | Buffer; filename?: string }>): { body: Buffer; type: string } {
  const boundary = `abuse-${Math.random().toString(36).slice(2)}`;
  const chunks = parts.flatMap(({ name, value, filename }) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: image/jpeg` : ''}\r\n\r\n`,
    ),
    Buffer.isBuffer(value) ? value : Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
  return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

/** Sends `body` in two halves with a pause between them; `during` runs in the pause. */
function sendWithPause(url: string, body: Buffer, type: string, during: () => Promise<void>, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': type, 'content-length': body.length, ...headers } });
    req.on('response', (res) => readJsonReply(res).then(resolve, reject));
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    setTimeout(() => during().then(() => req.end(body.subarray(half)), reject), 500);
  });
}

describe('the local direct-upload endpoint', () => {
  const stack = new Stack();
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  const ticket = async () => (await client.request('POST', '/users/me/avatar/upload-token', {})).body as { uploadUrl: string; token: string; key: string };
  const inFlight = () => readdir(join(stack.storageDir, '.incoming')).catch(() => [] as string[]);
  const objectExists = (key: string) => existsSync(join(stack.storageDir, key));

  it('writes no byte of a file that arrives before its token, nor of one without a valid token', async () => {
    const issued = await ticket();
    const big = Buffer.concat([await solidJpeg(64, 64, '#123456'), Buffer.alloc(2 * 1024 * 1024, 0x20)]);
    const fileFirst = multipart([{ name: 'file', value: big, filename: 'a.jpg' }, { name: 'token', value: issued.token }, { name: 'key', value: issued.key }]);

    let duringUpload: string[] = ['not checked'];
    const reply = await sendWithPause(issued.uploadUrl, fileFirst.body, fileFirst.type, async () => {
      duringUpload = await inFlight();
    });

    expect(duringUpload).toEqual([]);
    expect(reply.status).toBe(401);
    expect(reply.body.message).toMatch(/token before the file/);
    expect(objectExists(issued.key)).toBe(false);

    for (const token of [undefined, 'forged.signature', `${issued.token.split('.')[0]}.AAAA`]) {
      const form = multipart([...(token ? [{ name: 'token', value: token }] : []), { name: 'file', value: big, filename: 'a.jpg' }]);
      const refused = await sendWithPause(issued.uploadUrl, form.body, form.type, async () => expect(await inFlight()).toEqual([]));
      expect(refused.status).toBe(401);
    }
    expect(objectExists(issued.key)).toBe(false);
  });

  it('takes the token in an Authorization: UpToken header too', async () => {
    const issued = await ticket();
    const form = multipart([{ name: 'file', value: await solidJpeg(64, 64, '#224466'), filename: 'a.jpg' }]);
    const reply = await sendWithPause(issued.uploadUrl, form.body, form.type, async () => undefined, { authorization: `UpToken ${issued.token}` });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ key: issued.key, mimeType: 'image/jpeg' });
  });

  it('lets exactly one of two parallel uploads with one token succeed', async () => {
    const issued = await ticket();
    const [a, b] = await Promise.all([postToStore(issued, await solidJpeg(64, 64, '#aa0000')), postToStore(issued, await solidJpeg(64, 64, '#00aa00'))]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(await inFlight()).toEqual([]);
  });

  it('refuses a token that was used, also once its upload was confirmed, processed and its object deleted', async () => {
    const issued = await ticket();
    expect((await postToStore(issued, await solidJpeg(64, 64, '#0000aa'))).status).toBe(200);
    expect((await postToStore(issued, await solidJpeg(64, 64, '#0000bb'))).status).toBe(409);
    const confirmed = await client.request('POST', '/users/me/avatar/confirm', { key: issued.key });
    expect(await client.settle(confirmed.body.uploadId, 30_000)).toMatchObject({ status: 'done' });
    await eventually(async () => objectExists(issued.key), (exists) => !exists, 10_000);

    const again = await postToStore(issued, await solidJpeg(64, 64, '#0000cc'));

    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already been used/);
    expect(objectExists(issued.key)).toBe(false);
  });

  it('refuses a scan bomb with 415 while it streams in, and lets the token be used for a real image afterwards', async () => {
    const issued = await ticket();
    const refused = await postToStore(issued, bomb);
    expect(refused.status).toBe(415);
    expect(refused.body.message).toMatch(TOO_MANY_SCANS);
    expect(objectExists(issued.key)).toBe(false);
    expect((await postToStore(issued, await solidJpeg(64, 64, '#00aaaa'))).status).toBe(200);
  });
});

describe('the local direct-upload endpoint under a small size limit', () => {
  const MAX_BYTES = 64 * 1024;
  const stack = new Stack({ workers: 0, env: { AVATAR_MAX_BYTES: String(MAX_BYTES) } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('refuses a file over the limit with 413, keeps nothing of it, and has the token back before answering', async () => {
    const oversized = Buffer.alloc(MAX_BYTES + 512 * 1024, 7);
    oversized.set([0xff, 0xd8, 0xff, 0xe0]);
    // Several rounds: the answer used to overtake the token's release about two times in three.
    for (let round = 0; round < 5; round++) {
      const issued = (await client.request('POST', '/users/me/avatar/upload-token', {})).body;
      const refused = await postToStore(issued, oversized);
      expect(refused.status).toBe(413);
      expect(existsSync(join(stack.storageDir, issued.key))).toBe(false);
      expect(await readdir(join(stack.storageDir, '.incoming')).catch(() => [])).toEqual([]);
      expect((await postToStore(issued, await solidJpeg(64, 64, '#aa00aa'))).status).toBe(200);
    }
  });
});

/** Sends the start of `body`, then nothing more: a stalled client. Resolves with the answer or how the connection ended. */
function stall(url: string, body: Buffer, type: string, headers: Record<string, string>) {
  return new Promise<{ status: number | 'closed'; body: any }>((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': type, 'content-length': body.length, ...headers } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: null }));
    });
    req.on('error', () => resolve({ status: 'closed', body: null }));
    req.write(body.subarray(0, Math.floor(body.length / 2)));
  });
}

/** Sends `body` in `parts` pieces `pauseMs` apart: slow, but never idle for long. */
function trickle(url: string, body: Buffer, type: string, headers: Record<string, string>, parts: number, pauseMs: number) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': type, 'content-length': body.length, ...headers } });
    req.on('response', (res) => readJsonReply(res).then(resolve, reject));
    req.on('error', reject);
    const size = Math.ceil(body.length / parts);
    let part = 0;
    const next = () => {
      const chunk = body.subarray(part * size, (part + 1) * size);
      part += 1;
      if (part >= parts) req.end(chunk);
      else {
        req.write(chunk);
        setTimeout(next, pauseMs);
      }
    };
    next();
  });
}

describe('stalled uploads (UPLOAD_IDLE_TIMEOUT_SEC=2)', () => {
  const stack = new Stack({ env: { UPLOAD_IDLE_TIMEOUT_SEC: '2' } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  const photo = () => solidJpeg(800, 600, '#335577');

  it('cuts off a server-side upload that stops sending, removes its partial file, and takes a slow but steady one', async () => {
    const form = multipart([{ name: 'avatar', value: Buffer.concat([await photo(), Buffer.alloc(256 * 1024)]), filename: 'a.jpg' }]);
    const auth = { authorization: `Bearer ${client.token}` };

    const stalled = await stall(`${stack.baseUrl}/users/me/avatar`, form.body, form.type, auth);

    expect([408, 'closed']).toContain(stalled.status);
    if (stalled.status === 408) expect(stalled.body).toMatchObject({ statusCode: 408, error: 'Request Timeout' });
    await eventually(() => readdir(stack.stagingDir), (names) => names.length === 0, 10_000);
    expect(await uploadRows(stack, client.userId)).toBe(0);

    // Four pieces one second apart: four seconds in all, never two seconds idle.
    const steady = multipart([{ name: 'avatar', value: await photo(), filename: 'a.jpg' }]);
    const accepted = await trickle(`${stack.baseUrl}/users/me/avatar`, steady.body, steady.type, auth, 4, 1000);
    expect(accepted.status).toBe(202);
    expect(await client.settle(accepted.body.uploadId)).toMatchObject({ status: 'done' });
  });

  it('cuts off a stalled direct upload, removes its partial file, and gives its token back', async () => {
    const issued = (await client.request('POST', '/users/me/avatar/upload-token', {})).body;
    const form = multipart([
      { name: 'token', value: issued.token },
      { name: 'key', value: issued.key },
      { name: 'file', value: Buffer.concat([await photo(), Buffer.alloc(256 * 1024)]), filename: 'a.jpg' },
    ]);

    const stalled = await stall(issued.uploadUrl, form.body, form.type, {});

    expect([408, 'closed']).toContain(stalled.status);
    await eventually(() => readdir(join(stack.storageDir, '.incoming')), (names) => names.length === 0, 10_000);
    expect(existsSync(join(stack.storageDir, issued.key))).toBe(false);
    expect((await postToStore(issued, await photo())).status).toBe(200);
  });
});

describe('the scheduled cleanup of incoming/ (every second, STAGING_RETENTION_HOURS=0.0005, i.e. 1.8 s)', () => {
  const stack = new Stack({ env: { CLEANUP_CRON: '* * * * * *', STAGING_RETENTION_HOURS: '0.0005' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it('removes temporary objects no open ticket or pending upload needs, and keeps those a ticket still covers', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const open = (await client.request('POST', '/users/me/avatar/upload-token', {})).body;
    expect((await postToStore(open, await solidJpeg(64, 64, '#445566'))).status).toBe(200);
    // Written behind the API's back: no ticket, no upload.
    const strayKey = `incoming/${client.userId}/00000000-0000-4000-8000-000000000000`;
    mkdirSync(join(stack.storageDir, `incoming/${client.userId}`), { recursive: true });
    writeFileSync(join(stack.storageDir, strayKey), await solidJpeg(64, 64, '#665544'));

    await eventually(async () => existsSync(join(stack.storageDir, strayKey)), (exists) => !exists, 20_000);

    expect(existsSync(join(stack.storageDir, open.key))).toBe(true);
    const confirmed = await client.request('POST', '/users/me/avatar/confirm', { key: open.key });
    expect(await client.settle(confirmed.body.uploadId, 30_000)).toMatchObject({ status: 'done' });
  });
});

/** The status and JSON body (null when empty) of a reply. */
function readJsonReply(res: IncomingMessage): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.on('data', (chunk) => (text += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    res.on('error', reject);
  });
}
