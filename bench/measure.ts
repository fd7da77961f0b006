import { readFileSync } from 'node:fs';
import { ApiClient } from '../test/support/client';

const CLOCK_TICKS_PER_SEC = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** Resident memory now (VmRSS) and its high-water mark (VmHWM), in MB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `task` for items 0 … count-1 with `lanes` of them in flight at once. */
export async function inLanes(count: number, lanes: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** One after another: the API caps concurrent password hashing (503 beyond it). */
export async function signUpMany(baseUrl: string, count: number): Promise<ApiClient[]> {
  const clients: ApiClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await new ApiClient(baseUrl).signUp());
  return clients;
}

/**
 * A bench signs up and uploads far more from one address and per user than a person would: lift those caps. Logs are
 * JSON, as in production (the e2e harness runs NODE_ENV=test, whose default is the pretty printer for people).
 */
export const BENCH_ENV = {
  AVATAR_MAX_PENDING_PER_USER: '100000',
  AUTH_THROTTLE_LIMIT: '100000',
  UPLOAD_THROTTLE_LIMIT: '1000000',
  LOG_FORMAT: 'json',
};
