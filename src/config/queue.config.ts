import { registerAs } from '@nestjs/config';
import { availableParallelism } from 'node:os';
import { RedisTarget, clusterPrefix, parseRedisTarget } from './redis-target';

export type Serializer = 'json' | 'msgpack';

/** Celery's `100/s`, `600/m`, `3600/h` → Bull's limiter; empty means unlimited. */
export function parseRateLimit(value: string | undefined): { max: number; duration: number } | undefined {
  const match = /^(\d+(?:\.\d+)?)\/([smh])$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const unitMs = { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
  const perUnit = Number(match[1]);
  // Bull wants a whole number of jobs per window: 0.5/s becomes 1 per 2 s.
  return perUnit >= 1 ? { max: Math.floor(perUnit), duration: unitMs } : { max: 1, duration: Math.round(unitMs / perUnit) };
}

/** Bull's keys (and the result backend's) need a `{hash tag}` prefix when either Redis is a cluster. */
function effectivePrefix(prefix: string, targets: RedisTarget[]): string {
  return targets.some((target) => target.mode === 'cluster') ? clusterPrefix(prefix) : prefix;
}

const brokerTarget = () => parseRedisTarget(process.env.BROKER_URL ?? 'redis://127.0.0.1:6379/0', process.env.BROKER_TRANSPORT_OPTIONS);
const resultBackendTarget = () =>
  parseRedisTarget(process.env.RESULT_BACKEND ?? 'redis://127.0.0.1:6379/1', process.env.RESULT_BACKEND_TRANSPORT_OPTIONS);

/** Names follow the Celery settings they replace (broker_url, result_backend, result_expires …). */
export const queueConfig = registerAs('queue', () => ({
  brokerUrl: process.env.BROKER_URL ?? 'redis://127.0.0.1:6379/0',
  /** BROKER_URL with BROKER_TRANSPORT_OPTIONS: one Redis, a Sentinel-watched master or a cluster. */
  broker: brokerTarget(),
  resultBackendTarget: resultBackendTarget(),
  brokerPoolLimit: Number(process.env.BROKER_POOL_LIMIT ?? 10),
  resultBackend: process.env.RESULT_BACKEND ?? 'redis://127.0.0.1:6379/1',
  resultExpiresSec: Number(process.env.RESULT_EXPIRES ?? 3600),
  resultCacheMax: Number(process.env.RESULT_CACHE_MAX ?? 10_000),
  taskSerializer: (process.env.TASK_SERIALIZER ?? 'json') as Serializer,
  resultSerializer: (process.env.RESULT_SERIALIZER ?? 'json') as Serializer,
  acceptContent: (process.env.ACCEPT_CONTENT ?? 'json').split(',').map((s) => s.trim() as Serializer),
  timezone: process.env.TIMEZONE ?? 'Asia/Shanghai',
  /**
   * Two jobs per core: while one job waits (its database transaction, its stores, a download) another has CPU work
   * ready. Measured against one per core on a burst, five runs: 0–14% more avatars/s (median 7%), the same CPU per
   * job, about 10 MB more worker memory with 12 MP photos (BENCHMARKS.md).
   */
  workerConcurrency: Number(process.env.WORKER_CONCURRENCY ?? 2 * availableParallelism()),
  rateLimit: parseRateLimit(process.env.TASK_DEFAULT_RATE_LIMIT),
  maxRetries: Number(process.env.TASK_MAX_RETRIES ?? 3),
  retryBackoffMs: Number(process.env.TASK_RETRY_BACKOFF_MS ?? 2000),
  /** Celery's task_time_limit: the longest one attempt of an upload job may hold a worker slot. */
  timeLimitSec: Number(process.env.TASK_TIME_LIMIT ?? 120),
  /** Redis key prefix of the queues and of the result backend, so several deployments can share one Redis. */
  prefix: effectivePrefix(process.env.QUEUE_PREFIX ?? 'avatar-pipeline', [brokerTarget(), resultBackendTarget()]),
  cleanupCron: process.env.CLEANUP_CRON ?? '0 */1 * * *',
  /** How often the reconciler compares MySQL (the truth) with the queue and re-drives uploads whose job was lost. */
  reconcileIntervalSec: Number(process.env.RECONCILE_INTERVAL_SEC ?? 30),
  /** A job's lock: a worker that dies mid-job loses it after this long, and the stalled check hands the job on. */
  taskLockSec: Number(process.env.TASK_LOCK_SEC ?? 10),
  stalledIntervalSec: Number(process.env.TASK_STALLED_INTERVAL_SEC ?? 5),
  /** A job whose worker died this many times fails, with a reason, instead of being handed on again. */
  maxStalledCount: Number(process.env.TASK_MAX_STALLED_COUNT ?? 2),
  /** Longest wait for the broker or result backend on a request path (connect or command) before answering 503. */
  brokerTimeoutMs: Number(process.env.BROKER_TIMEOUT_MS ?? 2000),
  /** Delay before a job that found MySQL unavailable runs again; such a run does not count as an attempt. */
  databaseRetryDelayMs: Number(process.env.TASK_DATABASE_RETRY_DELAY_MS ?? 5000),
  /** Upload jobs allowed to wait in the queue; past it new uploads get 503 + Retry-After (the backlog stays bounded). */
  maxWaiting: Number(process.env.QUEUE_MAX_WAITING ?? 10_000),
}));
