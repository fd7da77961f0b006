import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ApiClient } from './support/client';
import { photoLikeJpeg } from './fixtures/photo-like';
import { solidJpeg } from './support/images';
import { PrivateRedis } from './support/private-redis';
import { ServiceProcess, Stack, eventually, freePort } from './support/stack';

const NOT_READY = { statusCode: 503, message: 'not ready', error: 'Service Unavailable', status: 'error' };

async function probe(url: string): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

describe('worker probes on WORKER_HTTP_PORT', () => {
  const stack = new Stack();
  const redis = new PrivateRedis();
  let worker: ServiceProcess;

  beforeAll(async () => {
    await stack.start();
    await redis.start();
    // A second worker whose broker and result backend are a private Redis this test can take away.
    worker = await stack.startWorker({ BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1` });
  });
  afterAll(async () => {
    await redis.stop();
    await stack.destroy();
  });

  it('answers liveness and readiness while MySQL, Redis and storage answer', async () => {
    for (const process of [stack.workers[0], worker]) {
      expect(await probe(`${process.probeUrl}/health/live`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await probe(`${process.probeUrl}/health/ready`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    }
    expect((await fetch(`${worker.probeUrl}/nowhere`)).status).toBe(404);
  });

  it('goes unready (503, still alive, answering within about a second) while its Redis is unreachable, and ready again after', async () => {
    await redis.stop();
    const unready = await eventually(() => probe(`${worker.probeUrl}/health/ready`), (reply) => reply.status === 503, 15_000);
    expect(unready.body).toEqual(NOT_READY);
    // Each check gives up after 1 s; the margin is for a loaded machine, not a performance claim.
    expect(unready.ms).toBeLessThan(5000);
    expect(await probe(`${worker.probeUrl}/health/live`)).toMatchObject({ status: 200 });
    expect(worker.running).toBe(true);
    // The other worker's Redis is fine.
    expect((await probe(`${stack.workers[0].probeUrl}/health/ready`)).status).toBe(200);

    await redis.start(); // the same port again
    await eventually(() => probe(`${worker.probeUrl}/health/ready`), (reply) => reply.status === 200, 30_000);
  });
  it('turns unready as soon as it is told to stop, while its active job finishes', async () => {
    expect(await stack.workers[0].stop()).toBe(0);
    // Keeping a 12-megapixel original makes the job last long enough to be seen in progress.
    const slow = await stack.startWorker({ AVATAR_KEEP_ORIGINAL: 'true', WORKER_CONCURRENCY: '1' });
    const client = await new ApiClient(stack.baseUrl).signUp();
    const accepted = await client.upload(await photoLikeJpeg(4000, 3000, 7));
    expect(accepted.status).toBe(202);
    await eventually(() => client.request('GET', accepted.body.statusUrl), (r) => r.body.status === 'processing', 30_000);

    expect((await probe(`${slow.probeUrl}/health/ready`)).status).toBe(200);
    const exited = slow.stop();
    const unready = await eventually(() => probe(`${slow.probeUrl}/health/ready`), (r) => r.status === 503, 10_000);
    expect(unready.body).toEqual(NOT_READY);
    expect(await exited).toBe(0);
    expect((await client.settle(accepted.body.uploadId)).status).toBe('done');
  });
});

describe('API health', () => {
  const stack = new Stack();
  let admin: ApiClient;
  let user: ApiClient;

  const details = async () => (await admin.request('GET', '/health/details')).body;

  beforeAll(async () => {
    await stack.start();
    admin = await new ApiClient(stack.baseUrl).signUp();
    const made = await stack.cli(['make-admin', (await stack.query<{ username: string }>('SELECT username FROM users WHERE id = ?', [admin.userId]))[0].username]);
    expect(made.code).toBe(0);
    user = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('answers the public probes with up or down only', async () => {
    for (const path of ['/health', '/health/ready', '/health/live']) {
      const reply = await new ApiClient(stack.baseUrl).request('GET', path);
      expect(reply).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(Object.keys(reply.body)).toEqual(['status']);
    }
  });

  it('shows the details to admins only', async () => {
    expect((await new ApiClient(stack.baseUrl).request('GET', '/health/details')).status).toBe(401);
    expect((await user.request('GET', '/health/details')).status).toBe(403);
    const body = await details();
    expect(body.status).toBe('ok');
    for (const check of ['mysql', 'broker', 'resultBackend', 'storage']) expect(body.checks[check]).toEqual({ status: 'up' });
    // WORKER_CONCURRENCY's default: two jobs per core.
    const concurrency = 2 * availableParallelism();
    expect(body.workers).toEqual([expect.objectContaining({ pid: stack.workers[0].pid, queues: ['avatars', 'maintenance'], concurrency })]);
    expect(body.queues.find((q: any) => q.queue === 'avatars')).toMatchObject({ workers: 1, counts: { waiting: 0 } });
    expect(body.queues.some((q: any) => q.warning)).toBe(false);
  });

  it('reports 0 workers and warns while an upload waits for none; the public probe stays up', async () => {
    expect(await stack.workers[0].stop()).toBe(0);
    const accepted = await user.upload(await solidJpeg(200, 200, '#c33'));
    expect(accepted.status).toBe(202);

    const body = await eventually(details, (b) => b.queues.find((q: any) => q.queue === 'avatars').counts.waiting === 1);
    expect(body.workers).toEqual([]);
    expect(body.queues.find((q: any) => q.queue === 'avatars')).toMatchObject({
      workers: 0,
      warning: 'no worker consumes "avatars" while 1 job(s) wait',
    });
    expect(await new ApiClient(stack.baseUrl).request('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });

    await stack.startWorker();
    expect((await user.settle(accepted.body.uploadId)).status).toBe('done');
    const after = await eventually(details, (b) => b.workers.length === 1);
    expect(after.queues.find((q: any) => q.queue === 'avatars')).toMatchObject({ workers: 1 });
    expect(after.queues.some((q: any) => q.warning)).toBe(false);
  });

  it('stops counting a worker that died without a word once its heartbeat expires', async () => {
    const survivor = stack.workers[stack.workers.length - 1];
    const doomed = await stack.startWorker();
    await eventually(details, (b) => b.workers.some((w: any) => w.pid === doomed.pid));
    doomed.child.kill('SIGKILL');
    await doomed.waitForExit();
    // The beat lives 15 s after its last refresh.
    const after = await eventually(details, (b) => !b.workers.some((w: any) => w.pid === doomed.pid), 30_000);
    expect(after.workers.map((w: any) => w.pid)).toEqual([survivor.pid]);
  });

  it('goes 503 without details while its Redis is unreachable, and 200 once it is back', async () => {
    const redis = await new PrivateRedis().start();
    const port = await freePort();
    const api = await stack.startApi({ PORT: String(port), BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1` });
    try {
      const url = `http://127.0.0.1:${port}`;
      expect((await probe(`${url}/health`)).status).toBe(200);
      await redis.stop();
      for (const path of ['/health', '/health/ready']) {
        const reply = await eventually(() => probe(`${url}${path}`), (r) => r.status === 503, 15_000);
        expect(reply.body).toEqual(NOT_READY);
        // Each check gives up after 1 s; the margin is for a loaded machine, not a performance claim.
        expect(reply.ms).toBeLessThan(5000);
      }
      expect((await probe(`${url}/health/live`)).status).toBe(200);
      await redis.start();
      await eventually(() => probe(`${url}/health`), (r) => r.status === 200, 30_000);
    } finally {
      await api.stop();
      await redis.stop();
    }
  });

  it('goes 503, API and worker alike, while the storage folder is not the store (an unmounted volume), and ready once it is back', async () => {
    const worker = stack.workers.find((process) => process.running)!;
    const aside = `${stack.storageDir}.unmounted`;
    renameSync(stack.storageDir, aside);
    mkdirSync(stack.storageDir); // the empty mount point an unmounted volume leaves
    try {
      const reply = await probe(`${stack.baseUrl}/health`);
      expect(reply).toMatchObject({ status: 503, body: NOT_READY });
      expect((await probe(`${worker.probeUrl}/health/ready`)).status).toBe(503);
      const body = await details();
      expect(body.checks.storage).toEqual({
        status: 'down',
        message: `storage folder ${stack.storageDir} has no .avatar-pipeline-store: not the store (an unmounted volume?)`,
      });
      expect(body.checks.mysql).toEqual({ status: 'up' });
    } finally {
      rmdirSync(stack.storageDir);
      renameSync(aside, stack.storageDir);
    }
    expect((await probe(`${stack.baseUrl}/health`)).status).toBe(200);
    expect((await probe(`${worker.probeUrl}/health/ready`)).status).toBe(200);
  });

  it('answers 503 on SIGTERM while still serving for SHUTDOWN_DRAIN_MS, then exits cleanly', async () => {
    const port = await freePort();
    const api = await stack.startApi({ PORT: String(port), SHUTDOWN_DRAIN_MS: '4000' });
    const url = `http://127.0.0.1:${port}`;
    expect((await probe(`${url}/health/ready`)).status).toBe(200);
    const exited = api.stop();
    const draining = await eventually(() => probe(`${url}/health/ready`), (r) => r.status === 503, 3000);
    expect(draining.body).toEqual(NOT_READY);
    expect((await probe(`${url}/health/live`)).status).toBe(200);
    expect(await exited).toBe(0);
  });
});
