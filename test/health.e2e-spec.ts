import { PrivateRedis } from './support/private-redis';
import { ServiceProcess, Stack, eventually } from './support/stack';

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
    const port = redis.port;
    await redis.stop();
    const unready = await eventually(() => probe(`${worker.probeUrl}/health/ready`), (reply) => reply.status === 503, 15_000);
    expect(unready.body).toEqual({ statusCode: 503, message: 'not ready', error: 'Service Unavailable', status: 'error' });
    // Each check gives up after 1 s; the margin is for a loaded machine, not a performance claim.
    expect(unready.ms).toBeLessThan(5000);
    expect(await probe(`${worker.probeUrl}/health/live`)).toMatchObject({ status: 200 });
    expect(worker.running).toBe(true);
    // The other worker's Redis is fine.
    expect((await probe(`${stack.workers[0].probeUrl}/health/ready`)).status).toBe(200);

    redis.port = port;
    await redis.start();
    await eventually(() => probe(`${worker.probeUrl}/health/ready`), (reply) => reply.status === 200, 30_000);
  });
});
