import { QiniuEmulator } from '../qiniu-emulator/qiniu-emulator';
import { ApiClient, fetchBytes } from '../support/client';
import { solidJpeg } from '../support/images';
import { qiniuEnv, startQiniuEmulator, storedKeys } from '../support/qiniu';
import { MASTER_NAME, SentinelRedis } from '../support/redis-sentinel';
import { Stack, eventually } from '../support/stack';

const BEFORE_KILL = 12;
const TOTAL = 30;
const IN_FLIGHT = 3;
const hex = (n: number) => (n % 256).toString(16).padStart(2, '0');

describe('Redis behind Sentinel: the master dies during a burst', () => {
  let redis: SentinelRedis;
  let emulator: QiniuEmulator;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new SentinelRedis().start();
    emulator = await startQiniuEmulator();
    const options = JSON.stringify({ master_name: MASTER_NAME });
    stack = new Stack({
      apis: 2,
      workers: 2,
      privateFolders: true,
      env: {
        ...qiniuEnv(emulator),
        BROKER_URL: redis.url(0),
        BROKER_TRANSPORT_OPTIONS: options,
        RESULT_BACKEND: redis.url(1),
        RESULT_BACKEND_TRANSPORT_OPTIONS: options,
        WORKER_CONCURRENCY: '2',
        // Each user has several uploads in flight during the burst (the per-user cap of issue 8 is not under test here).
        AVATAR_MAX_PENDING_PER_USER: '100',
        // Uploads whose job did not survive the failover are found and re-driven quickly.
        RECONCILE_INTERVAL_SEC: '2',
      },
    });
    await stack.start();
  }, 120_000);
  afterAll(async () => {
    await stack?.destroy();
    await emulator?.stop();
    await redis?.destroy();
  });

  it('fails over without restarting anything, and every accepted upload ends done', async () => {
    const users: ApiClient[] = [];
    for (let i = 0; i < 3; i++) users.push(await new ApiClient(stack.apiUrls[0]).signUp());
    const oldMaster = redis.master.port;
    const accepted: { user: ApiClient; uploadId: string }[] = [];
    const refused: { status: number; body: unknown }[] = [];
    let sent = 0;
    let killedAt = 0;

    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (accepted.length < TOTAL) {
          const n = sent++;
          if (n === BEFORE_KILL) {
            killedAt = Date.now();
            void redis.master.kill();
          }
          const user = users[n % users.length];
          const client = Object.assign(new ApiClient(stack.apiUrls[n % 2]), { token: user.token, userId: user.userId });
          const reply = await client.upload(await solidJpeg(120, 120, `#${hex(n)}${hex(n * 37)}80`));
          // While no master is elected the API may refuse (503, nothing kept): a client tries again.
          if (reply.status === 202) accepted.push({ user, uploadId: reply.body.uploadId });
          else refused.push({ status: reply.status, body: reply.body });
          if (reply.status !== 202) await new Promise((done) => setTimeout(done, 250));
        }
      }),
    );
    const newMaster = await eventually(() => redis.masterPort(), (port) => port !== oldMaster, 30_000);
    expect(newMaster).toBe(redis.replica.port);
    expect(refused.filter((reply) => reply.status !== 503)).toEqual([]);

    for (const { user, uploadId } of accepted) {
      const settled = await Object.assign(new ApiClient(stack.apiUrls[0]), { token: user.token }).settle(uploadId, 120_000);
      expect(settled).toMatchObject({ uploadId, status: 'done' });
    }
    console.log(
      `sentinel failover: ${accepted.length} accepted (202), ${refused.length} refused with 503 during the failover, ` +
        `all ${accepted.length} done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the master was killed`,
    );

    // The same processes keep serving: a new upload through each API is done, and every avatar is served.
    for (const api of [0, 1]) {
      const client = Object.assign(new ApiClient(stack.apiUrls[api]), { token: users[api].token, userId: users[api].userId });
      expect((await client.uploadAndSettle(await solidJpeg(90, 90, api ? '#112233' : '#332211'))).status).toBe('done');
    }
    for (const user of users) {
      const me = await Object.assign(new ApiClient(stack.apiUrls[1]), { token: user.token }).request('GET', '/users/me');
      expect((await fetchBytes(me.body.avatarUrl)).status).toBe(200);
    }
    expect([...stack.api, ...stack.workers].every((process) => process.running)).toBe(true);
    await eventually(async () => storedKeys(emulator, 'incoming/'), (keys) => keys.length === 0, 20_000);
  }, 300_000);
});
