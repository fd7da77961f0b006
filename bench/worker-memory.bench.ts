import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, sleep } from '../test/support/stack';
import { findings } from './findings';
import { BENCH_ENV, inLanes, memoryOf, signUpMany } from './measure';
import { writePhotos } from './photos';
import { settings } from './settings';

const BASELINE_JOBS = 500;

/** Worker RSS after 500 jobs and after BENCH_RSS_JOBS (the goal: flat over 5,000, at most 1.2× after 500). */
export async function run(): Promise<void> {
  const jobs = Math.max(settings.rssJobs, BASELINE_JOBS);
  const dir = await mkdtemp(join(tmpdir(), 'worker-memory-bench-'));
  const stack = new Stack({ env: { ...BENCH_ENV, WORKER_LOG_LEVEL: 'warn', AVATAR_DELETE_GRACE_SEC: '3600' } });
  try {
    const files = await writePhotos(dir, 1200, 900);
    await stack.start();
    const worker = stack.workers[0].pid;
    const clients = await signUpMany(stack.baseUrl, settings.inFlight);
    const checkpoints = [100, BASELINE_JOBS, ...[1000, 2000, 3000, 4000, 5000, 10_000].filter((n) => n < jobs), jobs];
    const rssAt = new Map<number, number>();
    const uploading = inLanes(jobs, settings.inFlight, async (i) => {
      const reply = await clients[i % clients.length].upload(files[i % files.length]);
      if (reply.status !== 202) throw new Error(`upload refused: ${JSON.stringify(reply.body)}`);
    });
    while (rssAt.size < checkpoints.length) {
      const [{ settled }] = await stack.query<{ settled: number }>("SELECT COUNT(*) AS settled FROM avatar_uploads WHERE status IN ('done', 'failed')");
      for (const checkpoint of checkpoints) {
        if (Number(settled) >= checkpoint && !rssAt.has(checkpoint)) rssAt.set(checkpoint, memoryOf(worker).rssMb);
      }
      await sleep(100);
    }
    await uploading;
    console.log(`one worker at its default concurrency (${settings.workerConcurrency}), 1200×900 photos, ${settings.inFlight} uploads in flight`);
    console.log(`worker RSS after ${[...rssAt].map(([n, mb]) => `${n} jobs: ${mb.toFixed(0)} MB`).join(', ')}; peak ${memoryOf(worker).peakMb.toFixed(0)} MB`);
    findings.record(`worker RSS growth ${BASELINE_JOBS}→${jobs}`, rssAt.get(jobs)! / rssAt.get(BASELINE_JOBS)!);
  } finally {
    await stack.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
