import { PrivateRedis } from '../support/private-redis';
import { Stack, eventually } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

/** Waits until some uploads are being processed, so that a worker is stopped in the middle of real work. */
async function someProcessing(stack: Stack): Promise<void> {
  await eventually(
    () => stack.query<{ n: number }>(`SELECT COUNT(*) AS n FROM avatar_uploads WHERE status = 'processing'`),
    ([row]) => Number(row.n) > 0,
    60_000,
  );
}

describe('faults: a worker dies or is stopped mid-burst', () => {
  let redis: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    // The documented defaults for the lock and the stalled check (TASK_LOCK_SEC=10, TASK_STALLED_INTERVAL_SEC=5).
    stack = new Stack({
      workers: 2,
      env: { BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1`, RECONCILE_INTERVAL_SEC: '2', WORKER_CONCURRENCY: '2' },
    });
    await stack.start();
  });
  afterAll(async () => {
    await stack?.destroy();
    await redis?.stop();
  });

  it('SIGKILL: the jobs it held are re-run by the other worker and every accepted upload ends done', async () => {
    const burst = await new Burst(stack, 'worker SIGKILL').signUp(10);
    const sending = burst.send(30);
    await someProcessing(stack);
    const [victim] = stack.workers.splice(0, 1);
    await victim.kill();
    const killedAt = Date.now();
    await sending;
    const settled = await burst.settle(120_000);
    const figures = burst.figures(settled, (Date.now() - killedAt) / 1000);
    // A job cut off by the crash is claimed again (attempts > 1) once its lock expires and a stalled check runs.
    const [rerun] = await stack.query<{ n: number; lastStart: Date | null }>(
      'SELECT COUNT(*) AS n, MAX(started_at) AS lastStart FROM avatar_uploads WHERE attempts > 1',
    );
    const rerunAfterSec = rerun.lastStart ? Math.round((rerun.lastStart.getTime() - killedAt) / 100) / 10 : null;
    printFigures({ ...figures, rerun: Number(rerun.n), rerunAfterSec });
    expect(figures.done).toBe(figures.accepted);
    await expectNothingLost(stack, burst, settled);
  });

  it('SIGTERM: it finishes its active jobs, takes no new one, exits 0, and the rest are done by the other worker', async () => {
    await stack.startWorker();
    const burst = await new Burst(stack, 'worker SIGTERM').signUp(10);
    const sending = burst.send(30);
    await someProcessing(stack);
    const [stopped] = stack.workers.splice(0, 1);
    const stoppedAt = Date.now();
    expect(await stopped.stop()).toBe(0);
    await sending;
    const settled = await burst.settle(120_000);
    printFigures(burst.figures(settled, (Date.now() - stoppedAt) / 1000));
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });
});
