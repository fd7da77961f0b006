import { readFileSync } from 'node:fs';
import { ApiClient } from '../test/support/client';
import { Stack, sleep } from '../test/support/stack';
import { photoLikeJpeg } from '../test/fixtures/photo-like';

const UPLOADS = 120;
const IN_FLIGHT = 40;
const WORKER_CONCURRENCY = 2;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Peak resident memory of a process so far (Linux VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

/**
 * Peak shaving: a burst of uploads hits the API (real processes, MariaDB and Redis on their default ports); the API
 * answers 202 as fast as it can stage them while one worker drains the queue at its own pace.
 */
export async function run(): Promise<void> {
  // One user sends the whole burst: lift the per-user upload budget (README, "Security").
  const stack = new Stack({
    env: { WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), WORKER_LOG_LEVEL: 'warn', UPLOAD_THROTTLE_LIMIT: '1000000' },
  });
  await stack.start();
  try {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const photo = await photoLikeJpeg(1600, 1200, 7);
    const latencies: number[] = [];
    const uploadIds: string[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < UPLOADS) {
          next += 1;
          const sent = performance.now();
          const reply = await client.upload(photo);
          latencies.push(performance.now() - sent);
          if (reply.status !== 202) throw new Error(`upload refused: ${JSON.stringify(reply.body)}`);
          uploadIds.push(reply.body.uploadId);
        }
      }),
    );
    const acceptedSec = (Date.now() - started) / 1000;
    const backlog = (await client.request('GET', '/health')).body.queue;
    for (;;) {
      const [{ pending }] = await stack.query<{ pending: number }>(
        "SELECT COUNT(*) AS pending FROM avatar_uploads WHERE status IN ('queued', 'processing')",
      );
      if (Number(pending) === 0) break;
      await sleep(200);
    }
    const drainedSec = (Date.now() - started) / 1000;
    const [{ failed }] = await stack.query<{ failed: number }>("SELECT COUNT(*) AS failed FROM avatar_uploads WHERE status = 'failed'");
    latencies.sort((a, b) => a - b);
    console.log(`${UPLOADS} uploads of a ${Math.round(photo.length / 1024)} KiB 2 MP JPEG, ${IN_FLIGHT} in flight, one worker at concurrency ${WORKER_CONCURRENCY}`);
    console.log(`API: all accepted (202) in ${acceptedSec.toFixed(1)} s = ${(UPLOADS / acceptedSec).toFixed(0)} uploads/s; ` +
      `202 latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${latencies[latencies.length - 1].toFixed(0)} ms`);
    console.log(`queue right after the burst: ${backlog.waiting} waiting, ${backlog.active} active`);
    console.log(`worker: all done after ${drainedSec.toFixed(1)} s = ${(UPLOADS / drainedSec).toFixed(1)} uploads/s drained, ${failed} failed`);
    console.log(`peak RSS: API ${peakRssMb(stack.api[0].pid)} MB, worker ${peakRssMb(stack.workers[0].pid)} MB`);
  } finally {
    await stack.destroy();
  }
}
