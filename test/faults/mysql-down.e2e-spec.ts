import { readdirSync } from 'node:fs';
import { PrivateMariaDb } from '../support/private-mariadb';
import { PrivateRedis } from '../support/private-redis';
import { Stack, sleep } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

describe('faults: MySQL stops for 15 s during a burst', () => {
  let redis: PrivateRedis;
  let mariadb: PrivateMariaDb;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    mariadb = await PrivateMariaDb.start();
    stack = new Stack({
      mysqlPort: mariadb.port,
      env: {
        BROKER_URL: `${redis.url}/0`,
        RESULT_BACKEND: `${redis.url}/1`,
        RECONCILE_INTERVAL_SEC: '2',
        TASK_DATABASE_RETRY_DELAY_MS: '2000',
        WORKER_CONCURRENCY: '2',
      },
    });
    await stack.start();
  });
  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await mariadb?.destroy();
    await redis?.stop();
  });

  it('uploads get 503 + Retry-After meanwhile and leave no staged file; queued uploads spend no attempt and all end done', async () => {
    const burst = await new Burst(stack, 'MySQL stopped 15 s').signUp(10);
    const before = burst.send(20, 2);
    await sleep(1500); // some uploads accepted, some still to come when the database goes
    await mariadb.stop();
    const stoppedAt = Date.now();
    const during = burst.send(10, 2);
    await Promise.all([before, during]);
    await sleep(Math.max(0, 15_000 - (Date.now() - stoppedAt))); // the outage itself, not a wait for a condition
    // Refused uploads left nothing in the staging folder; accepted ones still waiting keep theirs.
    const staged = readdirSync(stack.stagingDir).filter((name) => !name.startsWith('work-'));
    expect(staged.filter((name) => !burst.accepted.some((upload) => upload.uploadId === name))).toEqual([]);
    await mariadb.restart();
    const restartedAt = Date.now();
    const settled = await burst.settle(120_000);
    const [{ maxAttempts }] = await stack.query<{ maxAttempts: number }>('SELECT MAX(attempts) AS maxAttempts FROM avatar_uploads');
    printFigures({ ...burst.figures(settled, (Date.now() - restartedAt) / 1000), maxAttempts });
    expect(burst.refused[503]).toBeGreaterThan(0);
    expect(Object.keys(burst.refused)).toEqual(['503']);
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });
});
