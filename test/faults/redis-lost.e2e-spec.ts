import { CHECK_TIMEOUT_MS } from '../../src/health/dependency-checks';
import { PrivateRedis } from '../support/private-redis';
import { Stack, eventually, sleep } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

/**
 * GET /health, given the checks' own bound plus a margin for a loaded machine: a hang fails the test. A check may
 * rightly take its whole bound: a PING written just before the API notices the closed socket waits for it.
 */
async function health(stack: Stack): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/health`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS + 1500) });
  await response.arrayBuffer();
  return response.status;
}

const UNHANDLED = /Unhandled error event/;

describe('faults: the broker Redis loses its data', () => {
  let redis: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    stack = new Stack({
      env: { BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1`, RECONCILE_INTERVAL_SEC: '1', WORKER_CONCURRENCY: '2' },
    });
    await stack.start();
  });
  afterAll(async () => {
    await stack?.destroy();
    await redis?.stop();
  });

  it('flushed while the worker is stopped: every accepted upload ends done once a worker starts', async () => {
    const [worker] = stack.workers.splice(0, 1);
    expect(await worker.stop()).toBe(0);
    const burst = await new Burst(stack, 'Redis flushed, worker stopped').signUp(8);
    await burst.send(20);
    await redis.flushAll();
    const startedAt = Date.now();
    await stack.startWorker();
    const settled = await burst.settle(120_000);
    printFigures(burst.figures(settled, (Date.now() - startedAt) / 1000));
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });

  it('killed for 10 s during a burst and restarted empty: 503 + Retry-After meanwhile, then every accepted upload ends done', async () => {
    const burst = await new Burst(stack, 'Redis killed 10 s, restarted empty').signUp(10);
    expect(await health(stack)).toBe(200);
    const [{ n: earlier }] = await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads');
    const before = burst.send(15, 2);
    await eventually(() => stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads'), ([row]) => row.n >= earlier + 10, 60_000);
    await redis.stop();
    const killedAt = Date.now();
    expect(await health(stack)).toBe(503);
    const during = burst.send(10, 2);
    await Promise.all([before, during]);
    expect(await health(stack)).toBe(503);
    await sleep(Math.max(0, 10_000 - (Date.now() - killedAt))); // the outage itself, not a wait for a condition
    await redis.start();
    const restartedAt = Date.now();
    await eventually(() => health(stack).catch(() => 0), (status) => status === 200, 30_000);
    const settled = await burst.settle(120_000);
    const ids = burst.accepted.map((upload) => upload.uploadId);
    const [{ n: redriven }] = await stack.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM avatar_uploads WHERE id IN (?) AND job_id NOT LIKE '%-1'`,
      [ids],
    );
    printFigures({ ...burst.figures(settled, (Date.now() - restartedAt) / 1000), redriven });
    expect(burst.refused[503]).toBeGreaterThan(0);
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
    for (const process of [...stack.api, ...stack.workers]) expect(process.output).not.toMatch(UNHANDLED);
  });
});
