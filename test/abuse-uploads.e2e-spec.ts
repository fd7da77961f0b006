import { readdir } from 'node:fs/promises';
import { scanBombJpeg } from './fixtures/scan-bomb';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually, freePort } from './support/stack';

// Attacks on the upload path, each shown failing against separate API and worker processes, with a legitimate
// user unaffected.

/** The bomb: 1.3 MB, 20,000 scans over a 36 MP frame; about 100 s of decoding if nothing stops it. */
const bomb = scanBombJpeg(6000, 20_000);
const TOO_MANY_SCANS = /^the JPEG has more than 100 progressive scans/;

const uploadRows = async (stack: Stack, userId: number) =>
  (await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads WHERE user_id = ?', [userId]))[0].n;

describe('bounded work per upload', () => {
  const stack = new Stack();
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

    // The only slot is free again while the abandoned decode still runs (its work folder is still there).
    const abandonedWork = `work-${slow.body.uploadId}`;
    const next = await client.upload(await solidJpeg(320, 320, '#22aa44'));
    await eventually(() => client.request('GET', `/users/me/avatar/uploads/${next.body.uploadId}`), (r) => r.body.status !== 'queued', 30_000);
    expect(await readdir(stack.stagingDir)).toContain(abandonedWork);
    const { avatarUrl } = await client.settle(next.body.uploadId, 60_000);
    expect(avatarUrl).toEqual(expect.any(String));

    // The abandoned attempt removes its work folder when it finally ends; by then it must have changed nothing.
    await eventually(() => readdir(stack.stagingDir), (names) => !names.includes(abandonedWork), 120_000);
    expect((await client.request('GET', `/users/me/avatar/uploads/${slow.body.uploadId}`)).body.status).toBe('failed');
    expect((await client.request('GET', '/users/me')).body.avatarUrl).toBe(avatarUrl);
  }, 240_000);
});
