import { QiniuEmulator } from '../qiniu-emulator/qiniu-emulator';
import { PrivateRedis } from '../support/private-redis';
import { QINIU_BUCKET, qiniuEnv, startQiniuEmulator } from '../support/qiniu';
import { Stack } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

describe('faults: storage answers 503 five times, then recovers', () => {
  let redis: PrivateRedis;
  let emulator: QiniuEmulator;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    emulator = await startQiniuEmulator();
    stack = new Stack({
      env: {
        ...qiniuEnv(emulator),
        // Staged on disk, so the five 503s meet the workers' stores rather than the API's streaming.
        STAGING: 'disk',
        BROKER_URL: `${redis.url}/0`,
        RESULT_BACKEND: `${redis.url}/1`,
        TASK_RETRY_BACKOFF_MS: '300',
      },
    });
    await stack.start();
  });
  afterAll(async () => {
    await stack?.destroy();
    await emulator?.stop();
    await redis?.stop();
  });

  it('retries with backoff: every accepted upload ends done, no object left behind', async () => {
    const burst = await new Burst(stack, 'storage 503 x5 then healthy').signUp(8);
    emulator.faults.failNext('up', 5, 503);
    const startedAt = Date.now();
    await burst.send(20, 4);
    const settled = await burst.settle(120_000);
    const [{ retried }] = await stack.query<{ retried: number }>('SELECT COUNT(*) AS retried FROM avatar_uploads WHERE attempts > 1');
    printFigures({ ...burst.figures(settled, (Date.now() - startedAt) / 1000), retried });
    expect(Number(retried)).toBeGreaterThan(0);
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled, async () => emulator.objects(QINIU_BUCKET).map((object) => object.key));
  });
});
