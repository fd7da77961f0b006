import { queueConfig } from '../src/config/queue.config';

/** Bench sizes, overridable from the environment so a long run needs no code change. */
export const settings = {
  /** Uploads per photo size and driver in the throughput bench. */
  uploads1200: Number(process.env.BENCH_UPLOADS_1200 ?? 200),
  uploads4000: Number(process.env.BENCH_UPLOADS_4000 ?? 30),
  /** Jobs in the worker memory run (the goal is measured over 5,000). */
  rssJobs: Number(process.env.BENCH_RSS_JOBS ?? 1000),
  inFlight: 16,
  /** What a worker runs at once when WORKER_CONCURRENCY is left at its default; the ceiling gets as many lanes. */
  workerConcurrency: queueConfig().workerConcurrency,
};
