import Redis from 'ioredis';
import sharp from 'sharp';
import { ApiClient } from './support/client';
import { Stack, eventually, sleep } from './support/stack';

// One test per Celery-mirrored setting, each showing the setting change what the system does.

const BROKER_DB = 3;
const RESULT_DB = 4;

async function photo(size: number, seed: number): Promise<Buffer> {
  const noise = Buffer.alloc(size * size * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + seed * 104729) % 251;
  return sharp(noise, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function zonedHourMinute(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

async function withRedis<T>(db: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(`redis://127.0.0.1:6379/${db}`);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Highest number of jobs seen active at once while `work` runs. */
async function peakActive(stack: Stack, work: Promise<unknown>): Promise<number> {
  let peak = 0;
  let finished = false;
  void work.finally(() => (finished = true));
  await withRedis(Number(new URL(stack.env.BROKER_URL ?? 'redis://x/0').pathname.slice(1)), async (redis) => {
    while (!finished) {
      peak = Math.max(peak, await redis.llen(`${stack.prefix}:avatars:active`));
      await sleep(5);
    }
  });
  await work;
  return peak;
}

describe('Celery-mirrored queue settings, changed from their defaults', () => {
  const stack = new Stack({
    env: {
      BROKER_URL: `redis://127.0.0.1:6379/${BROKER_DB}`,
      RESULT_BACKEND: `redis://127.0.0.1:6379/${RESULT_DB}`,
      TASK_SERIALIZER: 'msgpack',
      RESULT_SERIALIZER: 'msgpack',
      ACCEPT_CONTENT: 'json,msgpack',
      RESULT_EXPIRES: '4',
      RESULT_CACHE_MAX: '2',
      TIMEZONE: 'America/New_York',
      CLEANUP_CRON: '0 3 * * *',
      WORKER_CONCURRENCY: '3',
      WORKER_LOG_LEVEL: 'debug',
      BROKER_POOL_LIMIT: '4',
      // These cases send bursts from one user: the per-user cap on uploads in flight is not what they test.
      AVATAR_MAX_PENDING_PER_USER: '100',
    },
  });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('BROKER_URL: the queue lives in the given Redis database', async () => {
    await client.uploadAndSettle(await photo(64, 1));
    const brokerKeys = await stack.redisKeys(`redis://127.0.0.1:6379/${BROKER_DB}`);
    expect(brokerKeys.some((key) => key.startsWith(`${stack.prefix}:avatars:`))).toBe(true);
    expect((await stack.redisKeys('redis://127.0.0.1:6379/0')).length).toBe(0);
  });

  it('RESULT_BACKEND + RESULT_SERIALIZER: results are kept apart from the broker, encoded with msgpack', async () => {
    const accepted = await client.upload(await photo(64, 2));
    await client.settle(accepted.body.uploadId);
    const raw = await withRedis(RESULT_DB, (redis) => redis.hgetall(`${stack.prefix}:result:${accepted.body.jobId}`));
    expect(raw.contentType).toBe('application/x-msgpack');
    expect(() => JSON.parse(raw.body)).toThrow();
    const brokerKeys = await stack.redisKeys(`redis://127.0.0.1:6379/${BROKER_DB}`);
    expect(brokerKeys.filter((key) => key.includes(':result:'))).toEqual([]);
    expect(await client.finishedJob(accepted.body.jobId)).toMatchObject({ state: 'completed', result: { status: 'done' } });
  });

  it('TASK_SERIALIZER: job payloads travel as msgpack', async () => {
    const worker = stack.workers[0];
    await worker.stop();
    const accepted = await client.upload(await photo(64, 3));
    const data = await withRedis(BROKER_DB, (redis) => redis.hget(`${stack.prefix}:avatars:${accepted.body.jobId}`, 'data'));
    expect(JSON.parse(data!)).toMatchObject({ contentType: 'application/x-msgpack' });
    stack.workers.splice(0, 1);
    await stack.startWorker();
    expect((await client.settle(accepted.body.uploadId)).status).toBe('done');
  });

  it('ACCEPT_CONTENT: a worker refuses content it does not accept, at once and without retrying', async () => {
    const [worker] = stack.workers.splice(0, 1);
    await worker.stop();
    const strict = await stack.startWorker({ ACCEPT_CONTENT: 'json' });
    try {
      const accepted = await client.upload(await photo(64, 4));
      const settled = await client.settle(accepted.body.uploadId);
      expect(settled).toMatchObject({ status: 'failed' });
      expect(settled.error).toBe('content type application/x-msgpack is not accepted (ACCEPT_CONTENT=json)');
      expect(await client.finishedJob(accepted.body.jobId)).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: settled.error });
    } finally {
      stack.workers.splice(stack.workers.indexOf(strict), 1);
      await strict.stop();
      await stack.startWorker();
    }
  });

  it('RESULT_CACHE_MAX: only the newest results are kept', async () => {
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const accepted = await client.upload(await photo(32, 10 + i));
      await client.settle(accepted.body.uploadId);
      jobs.push(accepted.body.jobId);
    }
    const statuses = await Promise.all(jobs.map(async (id) => (await client.request('GET', `/jobs/${id}`)).status));
    expect(statuses).toEqual([404, 200, 200]);
  });

  it('RESULT_EXPIRES: a result is gone once it has expired', async () => {
    const accepted = await client.upload(await photo(32, 20));
    await client.settle(accepted.body.uploadId);
    await eventually(() => client.request('GET', `/jobs/${accepted.body.jobId}`), (r) => r.status === 200, 5000);
    const ttl = await withRedis(RESULT_DB, (redis) => redis.ttl(`${stack.prefix}:result:${accepted.body.jobId}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(4);
    await sleep(4500);
    expect((await client.request('GET', `/jobs/${accepted.body.jobId}`)).status).toBe(404);
  });

  it('TIMEZONE: the scheduled cleanup runs at the cron time of that zone', async () => {
    const repeatable = await withRedis(BROKER_DB, (redis) => redis.zrange(`${stack.prefix}:maintenance:repeat`, 0, -1, 'WITHSCORES'));
    const cleanup = repeatable.findIndex((member) => member.startsWith('cleanup-staging:'));
    expect(repeatable[cleanup]).toContain('America/New_York');
    expect(zonedHourMinute(new Date(Number(repeatable[cleanup + 1])), 'America/New_York')).toBe('03:00');
    expect(zonedHourMinute(new Date(Number(repeatable[cleanup + 1])), 'Asia/Shanghai')).not.toBe('03:00');
  });

  it('WORKER_CONCURRENCY: one worker runs several jobs at once', async () => {
    const images = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => photo(1600, seed)));
    const uploads = (async () => {
      const accepted = await Promise.all(images.map((image) => client.upload(image)));
      await Promise.all(accepted.map((a) => client.settle(a.body.uploadId)));
    })();
    expect(await peakActive(stack, uploads)).toBeGreaterThan(1);
  });

  it('WORKER_LOG_LEVEL: debug shows per-job debug lines', () => {
    expect(stack.workers[0].output).toMatch(/DEBUG: \[UploadAvatarProcessor\] upload job upload-[0-9a-f-]+ attempt 1 started/);
  });

  it('BROKER_POOL_LIMIT: the API holds at most that many broker connections, however many uploads are in flight', async () => {
    const image = await photo(64, 30);
    const api = stack.api[0];
    const replies = Promise.all(Array.from({ length: 25 }, () => client.upload(image)));
    let peak = 0;
    let done = false;
    void replies.finally(() => (done = true));
    while (!done) {
      peak = Math.max(peak, await stack.brokerConnectionsOf(api.pid));
      await sleep(5);
    }
    expect((await replies).every((r) => r.status === 202)).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
  });
});

describe('queue settings that slow down or stop things', () => {
  const stack = new Stack({
    env: { TASK_DEFAULT_RATE_LIMIT: '2/s', WORKER_CONCURRENCY: '1', WORKER_LOG_LEVEL: 'warn', AVATAR_MAX_PENDING_PER_USER: '100' },
  });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('TASK_DEFAULT_RATE_LIMIT: workers start at most that many jobs per second', async () => {
    const accepted = await Promise.all([1, 2, 3, 4, 5, 6].map(async (seed) => client.upload(await photo(32, seed))));
    await Promise.all(accepted.map((a) => client.settle(a.body.uploadId)));
    const rows = await stack.query<{ started_at: Date }>('SELECT started_at FROM avatar_uploads ORDER BY started_at');
    const spreadMs = rows[rows.length - 1].started_at.getTime() - rows[0].started_at.getTime();
    expect(spreadMs).toBeGreaterThanOrEqual(1900); // 6 jobs at 2 per second span at least two more windows
  });

  it('WORKER_CONCURRENCY=1: never more than one job at a time', async () => {
    const images = await Promise.all([1, 2, 3].map((seed) => photo(1200, seed)));
    const uploads = (async () => {
      const accepted = await Promise.all(images.map((image) => client.upload(image)));
      await Promise.all(accepted.map((a) => client.settle(a.body.uploadId)));
    })();
    expect(await peakActive(stack, uploads)).toBe(1);
  });

  it('WORKER_LOG_LEVEL=warn: the worker prints no info or debug lines', () => {
    const output = stack.workers[0].output;
    expect(output).not.toMatch(/\b(INFO|DEBUG)\b/);
  });

  it.each([
    [{ TASK_SERIALIZER: 'pickle' }, /TASK_SERIALIZER: pickle is Python-only and unsafe/],
    [{ ACCEPT_CONTENT: 'json,pickle' }, /ACCEPT_CONTENT: pickle is Python-only and unsafe/],
    [{ RESULT_EXPIRES: 'soon' }, /RESULT_EXPIRES/],
    [{ TASK_DEFAULT_RATE_LIMIT: 'fast' }, /TASK_DEFAULT_RATE_LIMIT must look like 100\/s/],
    [{ TIMEZONE: 'Mars/Olympus' }, /TIMEZONE: unknown IANA time zone/],
    [{ BROKER_URL: 'amqp://localhost' }, /BROKER_URL: must be a redis/],
    [{ NODE_ENV: 'production', JWT_SECRET: '' }, /JWT_SECRET: required outside development/],
  ])('refuses to start with %j', async (env, message) => {
    const api = stack.spawn('main', env);
    expect(await api.waitForExit()).not.toBe(0);
    expect(api.output).toMatch(message);
  });

  it('BROKER_POOL_LIMIT below what a process needs stops it with a reason', async () => {
    const worker = stack.spawn('worker', { BROKER_POOL_LIMIT: '3', WORKER_LOG_LEVEL: 'log' });
    expect(await worker.waitForExit()).not.toBe(0);
    expect(worker.output).toMatch(/BROKER_POOL_LIMIT=3 is too low/);
  });
});
