import { createConnection } from 'mysql2/promise';
import { ApiClient } from '../test/support/client';
import { qiniuEnv, startQiniuEmulator } from '../test/support/qiniu';
import { Stack, sleep } from '../test/support/stack';
import { photoLikeJpeg } from '../test/fixtures/photo-like';

const UPLOADS = 32;
const USERS = 12;
const IN_FLIGHT = 12;
const WORKER_CONCURRENCY = 2;

interface Figures {
  seconds: number;
  avatarsPerSec: number;
  failed: number;
  rowLockWaits: number;
  rowLockMs: number;
}

/** InnoDB's server-wide row-lock counters (the MariaDB is shared, so other work on it shows up too). */
async function rowLocks(): Promise<{ waits: number; ms: number }> {
  const connection = await createConnection({ host: '127.0.0.1', user: 'root' });
  try {
    const [rows] = await connection.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time')");
    const value = (name: string) => Number((rows as { Variable_name: string; Value: string }[]).find((r) => r.Variable_name === name)?.Value ?? 0);
    return { waits: value('Innodb_row_lock_waits'), ms: value('Innodb_row_lock_time') };
  } finally {
    await connection.end();
  }
}

/** One burst through `apis` API processes into `workers` worker processes, each with its own folders. */
async function burst(apis: number, workers: number, photos: Buffer[]): Promise<Figures> {
  const emulator = await startQiniuEmulator();
  const stack = new Stack({
    apis,
    workers,
    privateFolders: true,
    env: { ...qiniuEnv(emulator), WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), WORKER_LOG_LEVEL: 'warn', AVATAR_MAX_PENDING_PER_USER: '100' },
  });
  try {
    await stack.start();
    const users: ApiClient[] = [];
    // One at a time: the API caps concurrent password hashing.
    for (let i = 0; i < USERS; i++) users.push(await new ApiClient(stack.apiUrls[0]).signUp());
    const locksBefore = await rowLocks();
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < UPLOADS) {
          const n = next++;
          const user = users[n % USERS];
          const client = Object.assign(new ApiClient(stack.apiUrls[n % apis]), { token: user.token, userId: user.userId });
          const reply = await client.upload(photos[n % photos.length]);
          if (reply.status !== 202) throw new Error(`upload refused: ${JSON.stringify(reply.body)}`);
        }
      }),
    );
    for (;;) {
      const [{ pending }] = await stack.query<{ pending: number }>("SELECT COUNT(*) AS pending FROM avatar_uploads WHERE status IN ('queued', 'processing')");
      if (Number(pending) === 0) break;
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    const locksAfter = await rowLocks();
    const [{ failed }] = await stack.query<{ failed: number }>("SELECT COUNT(*) AS failed FROM avatar_uploads WHERE status = 'failed'");
    return {
      seconds,
      avatarsPerSec: UPLOADS / seconds,
      failed: Number(failed),
      rowLockWaits: locksAfter.waits - locksBefore.waits,
      rowLockMs: locksAfter.ms - locksBefore.ms,
    };
  } finally {
    await stack.destroy();
    await emulator.stop();
  }
}

/**
 * Horizontal scaling, end to end: the same burst (uploads staged in the object store, Qiniu emulator, real MariaDB and
 * Redis) through 1 API + 1 worker, then 2 APIs + 2 workers, each process with its own folders. On a 2-core box the
 * ratio stays near 1 (the image work already fills the cores); what it shows is that nothing serialises across
 * processes: no lock or hot row makes two of each slower than one.
 */
export async function run(): Promise<void> {
  const photos = await Promise.all([1, 2, 3, 4].map((seed) => photoLikeJpeg(1200, 900, seed)));
  const one = await burst(1, 1, photos);
  const two = await burst(2, 2, photos);
  const line = (label: string, f: Figures) =>
    `${label}: ${UPLOADS} avatars in ${f.seconds.toFixed(1)} s = ${f.avatarsPerSec.toFixed(2)} avatars/s, ${f.failed} failed; ` +
    `InnoDB row-lock waits ${f.rowLockWaits} (${f.rowLockMs} ms, server-wide)`;
  console.log(`${UPLOADS} uploads of a 1 MP JPEG from ${USERS} users, ${IN_FLIGHT} in flight, STAGING=storage, worker concurrency ${WORKER_CONCURRENCY}`);
  console.log(line('1 API + 1 worker  ', one));
  console.log(line('2 APIs + 2 workers', two));
  console.log(`scale ratio (2+2 / 1+1): ${(two.avatarsPerSec / one.avatarsPerSec).toFixed(2)}`);
}
