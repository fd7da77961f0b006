import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Bull from 'bull';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { decodePayload, encodePayload } from '../src/queue/job-codec';
import { AVATAR_QUEUE, UPLOAD_AVATAR_JOB } from '../src/queue/queue.constants';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually } from './support/stack';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const photo = solidJpeg;

describe('server-side avatar upload (API and worker as separate processes, local storage)', () => {
  const stack = new Stack({ env: { AVATAR_MAX_BYTES: String(256 * 1024) } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('registers, logs in, and refuses bad credentials', async () => {
    const anonymous = new ApiClient(stack.baseUrl);
    expect((await anonymous.request('POST', '/auth/register', { username: 'x', password: 'short' })).status).toBe(400);
    const name = `taken_${stack.id}`;
    expect((await anonymous.request('POST', '/auth/register', { username: name, password: 'long enough pw' })).status).toBe(201);
    const again = await anonymous.request('POST', '/auth/register', { username: name, password: 'long enough pw' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect((await anonymous.request('POST', '/auth/login', { username: name, password: 'wrong password' })).status).toBe(401);
    const login = await anonymous.request('POST', '/auth/login', { username: name, password: 'long enough pw' });
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect((await anonymous.request('GET', '/users/me')).status).toBe(401);
  });

  it('answers 202 at once, then a worker stores the avatar and the URL serves the stored bytes', async () => {
    const accepted = await client.upload(await photo(640, 480, '#3366cc'));
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'queued', jobId: `upload-${accepted.body.uploadId}-1` });
    expect(accepted.body.statusUrl).toBe(`/users/me/avatar/uploads/${accepted.body.uploadId}`);

    const settled = await client.settle(accepted.body.uploadId);
    expect(settled).toMatchObject({ status: 'done', attempts: 1 });

    const me = await client.request('GET', '/users/me');
    expect(me.body.avatarUrl).toBe(settled.avatarUrl);
    expect(me.body.avatarUrl).toMatch(new RegExp(`^${stack.baseUrl}/static/avatars/${client.userId}/[0-9a-f]{64}\\.webp$`));

    const served = await fetchBytes(me.body.avatarUrl);
    expect(served.status).toBe(200);
    // The key is the content hash: the bytes served are exactly the bytes stored under it.
    expect(sha256(served.bytes)).toBe(/([0-9a-f]{64})\.webp$/.exec(me.body.avatarUrl)![1]);
    expect(served.headers.get('content-type')).toBe('image/webp');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('etag')).toBe(`"${sha256(served.bytes)}"`);
    expect(Number(served.headers.get('content-length'))).toBe(served.bytes.length);

    const publicView = await new ApiClient(stack.baseUrl).request('GET', `/users/${client.userId}`);
    expect(publicView.body).toEqual({ id: client.userId, username: me.body.username, avatarUrl: me.body.avatarUrl, avatar: me.body.avatar });
    // The staged file goes right after the commit that marked the upload done.
    await eventually(async () => readdirSync(stack.stagingDir), (files) => files.length === 0, 5000);
  });

  it('runs the image library in the worker only: the API process never maps libvips', async () => {
    const mapped = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8');
    expect(mapped(stack.workers[0].pid)).toMatch(/libvips/);
    expect(mapped(stack.api[0].pid)).not.toMatch(/libvips|sharp/);
  });

  it('reports the job from the result backend, only to its owner', async () => {
    const accepted = await client.upload(await photo(300, 300, '#22aa22'));
    await client.settle(accepted.body.uploadId);
    const job = await client.finishedJob(accepted.body.jobId);
    expect(job).toMatchObject({ id: accepted.body.jobId, name: 'upload-avatar', state: 'completed', progress: 100, attemptsMade: 1 });
    expect(job.result).toMatchObject({ uploadId: accepted.body.uploadId, status: 'done', applied: true });

    const stranger = await new ApiClient(stack.baseUrl).signUp();
    expect((await stranger.request('GET', `/jobs/${accepted.body.jobId}`)).status).toBe(404);
    expect((await stranger.request('GET', `/users/me/avatar/uploads/${accepted.body.uploadId}`)).status).toBe(404);
    expect((await client.request('GET', '/jobs/upload-00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('processes an upload once, even when its job is delivered again', async () => {
    const accepted = await client.upload(await photo(120, 120, '#5500aa'));
    await client.settle(accepted.body.uploadId);
    const [before] = await stack.query<{ avatar_updated_at: Date }>('SELECT avatar_updated_at FROM users WHERE id = ?', [client.userId]);
    // A second delivery of the same upload, as a retry after a lost acknowledgement would produce.
    const queue = new Bull(AVATAR_QUEUE, 'redis://127.0.0.1:6379/0', { prefix: stack.prefix });
    try {
      const duplicate = await queue.add(UPLOAD_AVATAR_JOB, encodePayload({ uploadId: accepted.body.uploadId }, 'json'), { jobId: `again-${accepted.body.uploadId}` });
      const result = decodePayload<{ applied: boolean }>(await duplicate.finished(), ['json']);
      expect(result).toMatchObject({ uploadId: accepted.body.uploadId, status: 'done' });
    } finally {
      await queue.close();
    }
    const [after] = await stack.query<{ avatar_updated_at: Date }>('SELECT avatar_updated_at FROM users WHERE id = ?', [client.userId]);
    expect(after.avatar_updated_at).toEqual(before.avatar_updated_at);
    expect((await client.request('GET', `/users/me/avatar/uploads/${accepted.body.uploadId}`)).body.attempts).toBe(1);
  });

  it.each([
    ['no file at all', () => new FormData(), 400],
    ['the file under another field name', async () => form('picture', await photo(10, 10, '#000')), 400],
    ['a file over AVATAR_MAX_BYTES', () => form('avatar', Buffer.alloc(300 * 1024, 0xff)), 413],
    ['text named .jpg', () => form('avatar', Buffer.from('just some text, honest')), 415],
    ['an empty file', () => form('avatar', Buffer.alloc(0)), 400],
  ])('refuses %s with a clear status and leaves nothing behind', async (_, body, status) => {
    const before = await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads');
    const reply = await client.request('POST', '/users/me/avatar', await body());
    expect(reply.status).toBe(status);
    expect(reply.body).toMatchObject({ statusCode: status, message: expect.any(String) });
    expect(await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads')).toEqual(before);
    await eventually(async () => readdirSync(stack.stagingDir), (files) => files.length === 0, 5000);
  });

  it('names HEIC as unsupported and says what to upload instead', async () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
    const reply = await client.request('POST', '/users/me/avatar', form('avatar', heic));
    expect(reply.status).toBe(415);
    expect(reply.body.message).toMatch(/unsupported format: HEIC.*JPEG, PNG, WebP, GIF or AVIF/);
  });

  it('lets the later of two racing uploads win, and deletes the loser after the grace period', async () => {
    const racer = await new ApiClient(stack.baseUrl).signUp();
    const first = await racer.upload(await photo(2000, 2000, '#aa0000'));
    const second = await racer.upload(await photo(64, 64, '#00aa00'));
    const [a, b] = [await racer.settle(first.body.uploadId), await racer.settle(second.body.uploadId)];
    expect([a.status, b.status]).toEqual(['done', 'done']);
    const me = await racer.request('GET', '/users/me');
    expect(me.body.avatarUrl).toBe(b.avatarUrl);
    const loserKey = a.avatarUrl.replace(`${stack.baseUrl}/static/`, '');
    await eventually(() => fetchBytes(`${stack.baseUrl}/static/${loserKey}`), (r) => r.status === 404, 15_000);
    expect((await fetchBytes(me.body.avatarUrl)).status).toBe(200);
  });
});

describe('a deletion job that removes objects between an upload storing them and committing its avatar', () => {
  // Upload jobs start at most every 10 s: the third upload's job starts well after the deletion job (due 2 s after the
  // second avatar is live) has queued for the user's row lock, which the test holds.
  const stack = new Stack({ env: { TASK_DEFAULT_RATE_LIMIT: '0.1/s', AVATAR_DELETE_GRACE_SEC: '2' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  /** Transactions of this stack's database waiting for a row lock. */
  const lockWaits = async () => {
    const [{ waiting }] = await stack.query<{ waiting: number }>(
      `SELECT COUNT(*) AS waiting FROM information_schema.INNODB_TRX t
         JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
        WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ?`,
      [stack.database],
    );
    return Number(waiting);
  };
  const statusOf = async (uploadId: string) =>
    (await stack.query<{ status: string }>('SELECT status FROM avatar_uploads WHERE id = ?', [uploadId]))[0].status;

  it('is noticed at commit: the upload stores its objects again and ends with a complete avatar', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const first = await photo(300, 300, '#aa3300');
    await client.uploadAndSettle(first);
    await client.uploadAndSettle(await photo(300, 300, '#0033aa')); // the first avatar's objects are now due for deletion
    // The first photo again: the same bytes, so the same keys as the objects about to be deleted.
    const again = (await client.upload(first)).body;

    const lock = await createConnection({ host: '127.0.0.1', user: 'root', database: stack.database });
    try {
      await lock.query('START TRANSACTION');
      await lock.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [client.userId]);
      await eventually(lockWaits, (waiting) => waiting === 1, 20_000);
      expect(await statusOf(again.uploadId)).toBe('queued'); // so the transaction waiting first is the deletion's
      // The upload's job stores its objects, then its commit queues behind the deletion.
      await eventually(lockWaits, (waiting) => waiting === 2, 20_000);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }

    const settled = await client.settle(again.uploadId, 60_000);
    expect(settled).toMatchObject({ status: 'done', attempts: 2 });
    const { avatar, avatarUrl } = (await client.request('GET', '/users/me')).body;
    expect(avatarUrl).toBe(settled.avatarUrl);
    for (const url of [...Object.values(avatar.variants), avatar.jpeg] as string[]) expect((await fetchBytes(url)).status).toBe(200);
  }, 120_000);
});

function form(field: string, bytes: Buffer): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'avatar.jpg');
  return body;
}

describe('scheduled staging cleanup (the Celery Beat counterpart)', () => {
  // Runs every second and keeps finished uploads' files about two seconds.
  const stack = new Stack({ env: { CLEANUP_CRON: '* * * * * *', STAGING_RETENTION_HOURS: '0.0005', RECONCILE_INTERVAL_SEC: '1' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it("removes a failed upload's staged file and stray files, once they are past the retention window", async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const whole = await photo(200, 200, '#884400');
    const truncated = whole.subarray(0, Math.floor(whole.length / 2));
    const accepted = await client.upload(truncated);
    expect(accepted.status).toBe(202);
    const settled = await client.settle(accepted.body.uploadId);
    expect(settled).toMatchObject({ status: 'failed', error: expect.stringMatching(/corrupt or truncated image/) });
    writeFileSync(join(stack.stagingDir, 'stray-file-from-a-crashed-api'), 'x');
    await eventually(async () => readdirSync(stack.stagingDir), (files) => files.length === 0, 15_000);
    expect((await client.request('GET', '/users/me')).body.avatar).toBeNull();
  });

  /** What a flushed or failed-over Redis does to a waiting job. */
  async function loseJob(jobId: string): Promise<void> {
    const redis = new Redis('redis://127.0.0.1:6379/0');
    try {
      await redis.lrem(`${stack.prefix}:avatars:wait`, 0, jobId);
      await redis.del(`${stack.prefix}:avatars:${jobId}`);
    } finally {
      redis.disconnect();
    }
  }

  it('re-drives an upload whose job was lost under a fresh job id, so it still ends done', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const [worker] = stack.workers.splice(0, 1);
    await worker.stop();
    const accepted = await client.upload(await photo(100, 100, '#004488'));
    await loseJob(accepted.body.jobId);
    await stack.startWorker();
    const settled = await client.settle(accepted.body.uploadId, 20_000);
    expect(settled).toMatchObject({ status: 'done', jobId: `upload-${accepted.body.uploadId}-2` });
    expect((await client.request('GET', '/users/me')).body.avatarUrl).toBe(settled.avatarUrl);
    await eventually(async () => readdirSync(stack.stagingDir), (files) => files.length === 0, 15_000);
  });

  it('fails an upload whose job and staged file were both lost, with a reason, so no client waits forever', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const [worker] = stack.workers.splice(0, 1);
    await worker.stop();
    const accepted = await client.upload(await photo(100, 100, '#448800'));
    await loseJob(accepted.body.jobId);
    rmSync(join(stack.stagingDir, accepted.body.uploadId));
    await stack.startWorker();
    const settled = await client.settle(accepted.body.uploadId, 20_000);
    expect(settled).toMatchObject({ status: 'failed', error: 'the uploaded file is no longer available; please upload again' });
  });
});
