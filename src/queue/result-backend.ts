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
 * Writes a record and keeps the index (creation time per job) within RESULT_EXPIRES and RESULT_CACHE_MAX, evicting
 * the oldest records. An update of a record that is gone writes nothing (returns 0). Every key shares the prefix, which
 * is hash-tagged on a Redis Cluster, so the script's keys live in one slot.
 */
const WRITE_JOB_RECORD = `
local record, index = KEYS[1], KEYS[2]
local mode, contentType, body, expiresSec, createdAt, jobId, expiredBefore, channel, state, cacheMax, recordPrefix = unpack(ARGV)
if mode == 'update' and redis.call('EXISTS', record) == 0 then return 0 end
redis.call('HSET', record, 'contentType', contentType, 'body', body)
redis.call('EXPIRE', record, expiresSec)
local added = redis.call('ZADD', index, 'NX', createdAt, jobId)
redis.call('ZREMRANGEBYSCORE', index, '-inf', expiredBefore)
redis.call('PUBLISH', channel, state)
if added == 1 then
  local overflow = redis.call('ZCARD', index) - tonumber(cacheMax)
  if overflow > 0 then
    local evicted = redis.call('ZPOPMIN', index, overflow)
    for i = 1, #evicted, 2 do redis.call('DEL', recordPrefix .. evicted[i]) end
  end
end
return 1
`;

/** Far more than the jobs one worker runs at once. */
const RUNNING_RECORDS_MAX = 1000;

interface JobRecordCommands {
  writeJobRecord(record: string, index: string, mode: 'create' | 'update', ...args: Array<string | number>): Promise<number>;
}

/**
 * Job states and results in the RESULT_BACKEND Redis, encoded with RESULT_SERIALIZER.
 * Each record lives RESULT_EXPIRES seconds after its last change; at most RESULT_CACHE_MAX are kept, oldest first out.
 */
@Injectable()
export class ResultBackend implements OnApplicationShutdown {
  private readonly logger = new Logger(ResultBackend.name);
  private readonly redis: (Redis | Cluster) & JobRecordCommands;
  private readonly indexKey: string;
  private readonly writes = new Map<string, Promise<void>>();
  /** The record of each job this process is running an attempt of, as last written. */
  private readonly running = new Map<string, JobRecord>();
  /** Opened at the first `watch` (only API processes following a live status do): one per process, for every job. */
  private subscriber?: Redis | Cluster;
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(@Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>) {
    this.redis = <(Redis | Cluster) & JobRecordCommands>connectRedis(config.resultBackendTarget, {
      lazyConnect: true,
      connectionName: `${config.prefix}:results:${process.pid}`,
      connectTimeout: config.brokerTimeoutMs,
      commandTimeout: config.brokerTimeoutMs,
    });
    this.redis.defineCommand('writeJobRecord', { numberOfKeys: 2, lua: WRITE_JOB_RECORD });
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
   * A change that names the owner creates the record (job ids are never reused); every other change updates it.
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

  /**
   * One round trip per write: the record is read only where this process cannot know it (the first write of an
   * attempt, which may follow another worker's), and the write itself is one script.
   */
  private async merge(jobId: string, change: Partial<JobRecord>): Promise<void> {
    const now = new Date();
    const creating = change.ownerId !== undefined;
    const known = change.state === 'active' ? undefined : this.running.get(jobId);
    const current = creating ? null : (known ?? (await this.get(jobId)));
    // A late update to a record that expired or was evicted (RESULT_EXPIRES, RESULT_CACHE_MAX) must not bring it back.
    if (!current && !creating) return;
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
    const written = await this.redis.writeJobRecord(
      this.recordKey(jobId),
      this.indexKey,
      creating ? 'create' : 'update',
      encoded.contentType,
      encoded.body,
      this.config.resultExpiresSec,
      Date.parse(next.createdAt),
      jobId,
      now.getTime() - this.config.resultExpiresSec * 1000,
      this.channelOf(jobId),
      next.state,
      this.config.resultCacheMax,
      this.recordKey(''),
    );
    // Kept while this process runs the attempt; once the job leaves it, another worker may write next.
    this.running.delete(jobId);
    if (written === 1 && next.state === 'active') this.running.set(jobId, next);
    // A job whose last write never came (its process lost the result backend meanwhile) must not pile up here.
    if (this.running.size > RUNNING_RECORDS_MAX) this.running.delete(this.running.keys().next().value!);
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
