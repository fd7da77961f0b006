import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis, { Cluster } from 'ioredis';
import { queueConfig } from '../config/queue.config';
import { failFastOnceConnected, watchConnection } from './connection-watch';
import { EncodedPayload, decodePayload, encodePayload } from './job-codec';
import { connectRedis, connectRedisSubscriber } from './redis-connection';

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

/** What clients can learn about a job, kept apart from the broker (Celery's result backend). */
export interface JobRecord {
  id: string;
  name: string;
  ownerId: number;
  state: JobState;
  progress: number;
  attemptsMade: number;
  result?: unknown;
  failedReason?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Job states and results in the RESULT_BACKEND Redis, encoded with RESULT_SERIALIZER.
 * Each record lives RESULT_EXPIRES seconds after its last change; at most RESULT_CACHE_MAX are kept, oldest first out.
 */
@Injectable()
export class ResultBackend implements OnApplicationShutdown {
  private readonly logger = new Logger(ResultBackend.name);
  private readonly redis: Redis | Cluster;
  private readonly indexKey: string;
  private readonly writes = new Map<string, Promise<void>>();
  /** Opened at the first `watch` (only API processes following a live status do): one per process, for every job. */
  private subscriber?: Redis | Cluster;
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(@Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>) {
    this.redis = connectRedis(config.resultBackendTarget, {
      lazyConnect: true,
      connectionName: `${config.prefix}:results:${process.pid}`,
      connectTimeout: config.brokerTimeoutMs,
      commandTimeout: config.brokerTimeoutMs,
    });
    watchConnection(this.redis, 'result backend', this.logger);
    failFastOnceConnected(this.redis);
    this.indexKey = `${config.prefix}:results`;
  }

  /** For readiness checks: resolves when the result-backend Redis answers. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const stored = await this.redis.hgetall(this.recordKey(jobId));
    if (!stored.contentType || !stored.body) return null;
    return decodePayload<JobRecord>(stored as unknown as EncodedPayload, ['json', 'msgpack']);
  }

  /**
   * Creates or updates a record; unknown fields keep their current value. A job's writes all come from the one
   * process running it (the API's first write happens before the job exists), so chaining them per job in this
   * process is enough to keep Bull's event handlers and the job's own progress reports from overwriting each other.
   */
  record(jobId: string, change: Partial<JobRecord>): Promise<void> {
    const previous = this.writes.get(jobId) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => this.merge(jobId, change));
    this.writes.set(jobId, write);
    void write.finally(() => {
      if (this.writes.get(jobId) === write) this.writes.delete(jobId);
    }).catch(() => undefined);
    return write;
  }

  private async merge(jobId: string, change: Partial<JobRecord>): Promise<void> {
    const now = new Date();
    const current = await this.get(jobId);
    // Records are created with their owner when a job is enqueued; a late update to one that expired or was
    // evicted (RESULT_EXPIRES, RESULT_CACHE_MAX) must not bring it back.
    if (!current && change.ownerId === undefined) return;
    const next: JobRecord = {
      id: jobId,
      name: 'unknown',
      ownerId: 0,
      state: 'waiting',
      progress: 0,
      attemptsMade: 0,
      createdAt: now.toISOString(),
      ...current,
      ...change,
      updatedAt: now.toISOString(),
    };
    const encoded = encodePayload(next, this.config.resultSerializer);
    const key = this.recordKey(jobId);
    const expiredBefore = now.getTime() - this.config.resultExpiresSec * 1000;
    const replies = await this.redis
      .multi()
      .del(key)
      .hset(key, 'contentType', encoded.contentType, 'body', encoded.body)
      .expire(key, this.config.resultExpiresSec)
      .zadd(this.indexKey, 'NX', Date.parse(next.createdAt), jobId)
      .zremrangebyscore(this.indexKey, '-inf', expiredBefore)
      .publish(this.channelOf(jobId), next.state)
      .exec();
    // Only a record new to the index can push it over RESULT_CACHE_MAX; updates (most writes) skip the round trip.
    const [, added] = replies?.[3] ?? [];
    if (added !== 0) await this.evictOverflow();
  }

  private async evictOverflow(): Promise<void> {
    const overflow = (await this.redis.zcard(this.indexKey)) - this.config.resultCacheMax;
    if (overflow <= 0) return;
    const evicted = await this.redis.zpopmin(this.indexKey, overflow);
    const jobIds = evicted.filter((_, i) => i % 2 === 0);
    if (jobIds.length > 0) await this.redis.del(...jobIds.map((id) => this.recordKey(id)));
  }

  /**
   * Calls `listener` after every change of the job's record, made by any process (pub/sub on the result backend, so
   * an API replica learns what a worker on another host did). Resolves once subscribed; call the result to stop.
   * Messages can be lost while the connection is re-established: listeners re-read the state, and poll too.
   */
  async watch(jobId: string, listener: () => void): Promise<() => void> {
    const channel = this.channelOf(jobId);
    const subscriber = this.subscriberConnection();
    let listeners = this.watchers.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.watchers.set(channel, listeners);
      await subscriber.subscribe(channel);
    }
    listeners.add(listener);
    const own = listeners;
    return () => {
      own.delete(listener);
      if (own.size > 0 || this.watchers.get(channel) !== own) return;
      this.watchers.delete(channel);
      subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  private subscriberConnection(): Redis | Cluster {
    if (!this.subscriber) {
      this.subscriber = connectRedisSubscriber(this.config.resultBackendTarget, { connectionName: `${this.config.prefix}:events:${process.pid}` });
      this.subscriber.on('message', (channel: string) => this.watchers.get(channel)?.forEach((listener) => listener()));
      // Errors surface as failed subscribe calls; an unhandled 'error' event would crash the process.
      this.subscriber.on('error', () => undefined);
    }
    return this.subscriber;
  }

  private channelOf(jobId: string): string {
    return `${this.config.prefix}:result-events:${jobId}`;
  }

  private recordKey(jobId: string): string {
    return `${this.config.prefix}:result:${jobId}`;
  }

  /** Writes started by the last jobs' completion events still land before the connection closes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
