import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { qiniuEnv, startQiniuEmulator } from '../test/support/qiniu';
import { Stack, sleep } from '../test/support/stack';
import { avatarConfig } from '../src/config/avatar.config';
import { measureCeiling } from './ceiling';
import { LoadDriver } from './load-driver';
import { ApiClient } from '../test/support/client';
import { BENCH_ENV, cpuMsOf, inLanes, signUpMany } from './measure';
import { PHOTO_SIZES, writePhotos } from './photos';
import { findings } from './findings';
import { settings } from './settings';

interface EndToEndRun {
  perSec: number;
  workerCpuMsPerJob: number;
  /** CPU ms per avatar of everything else on the box that the burst kept busy (null: not a process of this box). */
  othersCpuMsPerJob: Record<'API' | 'MariaDB' | 'Redis' | 'bench (load driver, emulator)', number | null>;
  /** Cores' worth of CPU the worker used while the burst drained. */
  workerCores: number;
  failed: number;
}

/**
 * Avatars per second end to end (API and worker processes, uploads 16 in flight, an avatar counted when its upload
 * is done) against plain sharp doing the same image work on the same files with as many lanes as the worker runs jobs.
 */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'throughput-bench-'));
  try {
    const photos = new Map<string, string[]>();
    for (const [width, height] of PHOTO_SIZES) photos.set(`${width}×${height}`, await writePhotos(dir, width, height));
    const jobsOf = (label: string) => (label.startsWith('1200') ? settings.uploads1200 : settings.uploads4000);
    const lanes = settings.workerConcurrency;
    console.log(`one worker at its default concurrency (${lanes}); the ceiling runs ${lanes} lanes; ${settings.inFlight} uploads in flight`);
    console.log(
      `ceiling: the worker's image work as configured (crop ${avatarConfig().cropStrategy}, ThumbHash); ` +
        "issue 7's list: centre crop, no placeholder (for comparison; the goals use the ceiling)",
    );
    console.log(row(['photos', 'run', 'avatars/s', 'CPU ms/job', 'vs ceiling', 'failed']));

    const ceilings = new Map<string, { perSec: number; cpuMsPerJob: number }>();
    for (const [label, files] of photos) {
      const ceiling = await measureCeiling(files, jobsOf(label), lanes, 'configured');
      ceilings.set(label, ceiling);
      console.log(row([label, 'plain sharp (ceiling)', ceiling.perSec.toFixed(1), ceiling.cpuMsPerJob.toFixed(0), '1.00×', '']));
      const issueList = await measureCeiling(files, jobsOf(label), lanes, 'issue');
      const ratio = `${(issueList.perSec / ceiling.perSec).toFixed(2)}×`;
      console.log(row([label, "  issue 7's list", issueList.perSec.toFixed(1), issueList.cpuMsPerJob.toFixed(0), ratio, '']));
    }
    const budgets: string[] = [];
    for (const driver of ['local', 'qiniu'] as const) {
      const emulator = driver === 'qiniu' ? await startQiniuEmulator() : undefined;
      // Replaced avatars stay for an hour: their deletion jobs are not part of this measurement.
      const env = { ...BENCH_ENV, WORKER_LOG_LEVEL: 'warn', AVATAR_DELETE_GRACE_SEC: '3600', ...(emulator ? qiniuEnv(emulator) : {}) };
      const stack = new Stack({ env });
      try {
        await stack.start();
        for (const [label, files] of photos) {
          const measured = await endToEnd(stack, files, jobsOf(label));
          const ceiling = ceilings.get(label)!;
          const ratio = measured.perSec / ceiling.perSec;
          findings.record(`e2e ${driver} ${label}`, ratio);
          findings.record(`worker CPU ${driver} ${label}`, measured.workerCpuMsPerJob / ceiling.cpuMsPerJob);
          console.log(row([
            label,
            `e2e ${driver}${driver === 'qiniu' ? ' (emulator)' : ''}`,
            measured.perSec.toFixed(1),
            measured.workerCpuMsPerJob.toFixed(0),
            `${ratio.toFixed(2)}×`,
            String(measured.failed),
          ]));
          budgets.push(`${label} ${driver}: ${describeBudget(measured, ceiling.cpuMsPerJob)}`);
        }
      } finally {
        await stack.destroy();
        await emulator?.stop();
      }
    }
    console.log('\nCPU per avatar across the box during each e2e run, ms (the ceiling spends only the image work)');
    for (const budget of budgets) console.log(budget);
    await concurrencySweep(photos.get('1200×900')!, availableParallelism());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * How WORKER_CONCURRENCY's default (two jobs per core) compares with fewer jobs at once, on the local driver: a single
 * worker should keep the cores busy on a burst, with what the API, MySQL and Redis need left to them.
 */
async function concurrencySweep(files: string[], cores: number): Promise<void> {
  console.log(`\nWORKER_CONCURRENCY on a burst of ${settings.uploads1200} 1200×900 uploads, local driver (${cores} cores)`);
  console.log(row(['concurrency', '', 'avatars/s', 'CPU ms/job', 'cores used', '']));
  for (const concurrency of [1, cores, 2 * cores]) {
    const env = { ...BENCH_ENV, WORKER_LOG_LEVEL: 'warn', AVATAR_DELETE_GRACE_SEC: '3600', WORKER_CONCURRENCY: String(concurrency) };
    const stack = new Stack({ env });
    try {
      await stack.start();
      const measured = await endToEnd(stack, files, settings.uploads1200);
      const label = concurrency === settings.workerConcurrency ? `${concurrency} (default)` : String(concurrency);
      console.log(row([label, '', measured.perSec.toFixed(1), measured.workerCpuMsPerJob.toFixed(0), measured.workerCores.toFixed(2), '']));
    } finally {
      await stack.destroy();
    }
  }
}

/** Where an avatar's CPU went: the image work (as the ceiling measured it), the worker's own overhead, the rest. */
function describeBudget(measured: EndToEndRun, imageWorkMs: number): string {
  const others = Object.entries(measured.othersCpuMsPerJob).map(([name, ms]) => `${name} ${ms === null ? 'n/a' : ms.toFixed(1)}`);
  const total = measured.workerCpuMsPerJob + Object.values(measured.othersCpuMsPerJob).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  return (
    `image work ${imageWorkMs.toFixed(1)}, worker overhead ${(measured.workerCpuMsPerJob - imageWorkMs).toFixed(1)}, ` +
    `${others.join(', ')}; total ${total.toFixed(1)}`
  );
}

/** Uploads sent before each measured burst, as the ceiling decodes one photo first: code compiled, connections open. */
const WARM_UP_UPLOADS = 2 * settings.inFlight;

async function endToEnd(stack: Stack, files: string[], uploads: number): Promise<EndToEndRun> {
  const clients = await signUpMany(stack.baseUrl, settings.inFlight);
  const photos = await Promise.all(files.map((file) => readFile(file)));
  const driver = new LoadDriver(`${stack.baseUrl}/users/me/avatar`);
  await burst(stack, driver, clients, photos, WARM_UP_UPLOADS);
  const [before] = await stack.query<{ rows: number; failed: number }>(
    "SELECT COUNT(*) AS \`rows\`, COALESCE(SUM(status = 'failed'), 0) AS failed FROM avatar_uploads",
  );
  const worker = stack.workers[0].pid;
  const others = { API: stack.api[0].pid, MariaDB: pidOf('mariadbd'), Redis: pidOf('redis-server'), 'bench (load driver, emulator)': process.pid };
  const othersBefore = Object.fromEntries(Object.entries(others).map(([name, pid]) => [name, pid && cpuMsOf(pid)]));
  const cpuBefore = cpuMsOf(worker);
  const started = performance.now();
  const finished = await burst(stack, driver, clients, photos, uploads);
  driver.close();
  const seconds = (performance.now() - started) / 1000;
  const workerCpuMs = cpuMsOf(worker) - cpuBefore;
  const othersCpuMsPerJob = Object.fromEntries(
    Object.entries(others).map(([name, pid]) => [name, pid ? (cpuMsOf(pid) - othersBefore[name]!) / uploads : null]),
  ) as EndToEndRun['othersCpuMsPerJob'];
  return {
    perSec: uploads / seconds,
    workerCpuMsPerJob: workerCpuMs / uploads,
    othersCpuMsPerJob,
    workerCores: workerCpuMs / 1000 / seconds,
    failed: Number(finished.failed) - Number(before.failed),
  };
}

/** Sends `uploads` photos, `settings.inFlight` at a time, and waits until every upload so far is done or failed. */
async function burst(
  stack: Stack,
  driver: LoadDriver,
  clients: ApiClient[],
  photos: Buffer[],
  uploads: number,
): Promise<{ settled: number; failed: number }> {
  const [{ rows }] = await stack.query<{ rows: number }>('SELECT COUNT(*) AS \`rows\` FROM avatar_uploads');
  await inLanes(uploads, settings.inFlight, async (i) => {
    const reply = await driver.upload(clients[i % clients.length].token, photos[i % photos.length]);
    if (reply.status !== 202) throw new Error(`upload refused: ${reply.body}`);
  });
  for (;;) {
    const [finished] = await stack.query<{ settled: number; failed: number }>(
      "SELECT COALESCE(SUM(status IN ('done', 'failed')), 0) AS settled, COALESCE(SUM(status = 'failed'), 0) AS failed FROM avatar_uploads",
    );
    if (Number(finished.settled) >= Number(rows) + uploads) return finished;
    await sleep(50);
  }
}

/** The oldest process of that name on this machine, if any (MariaDB and Redis may run elsewhere). */
function pidOf(name: string): number | null {
  try {
    return Number(execFileSync('pgrep', ['-o', '-x', name]).toString().trim()) || null;
  } catch {
    return null;
  }
}

function row(cells: string[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(i === 0 ? 11 : 24) : cell.padStart(12))).join('');
}
