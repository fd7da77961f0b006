import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Queue } from 'bull';
import { hostname } from 'node:os';
import { queueConfig } from '../config/queue.config';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS, WorkerBeat, heartbeatIndexKey, heartbeatKey } from './worker-beat';

/**
 * Worker only: a key per worker in the broker Redis, refreshed every few seconds and expiring soon after the worker
 * stops refreshing it, naming the queues it consumes. The API counts these to tell how many workers each queue has.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly id = `${hostname()}:${process.pid}`;
  private readonly key: string;
  private readonly indexKey: string;
  private readonly beat: WorkerBeat;
  private timer?: NodeJS.Timeout;
  private inFlight = false;
  private failing = false;

  constructor(
    @Inject(queueConfig.KEY) config: ConfigType<typeof queueConfig>,
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) maintenanceQueue: Queue,
  ) {
    this.key = heartbeatKey(config.prefix, this.id);
    this.indexKey = heartbeatIndexKey(config.prefix);
    this.beat = {
      host: hostname(),
      pid: process.pid,
      queues: [avatarQueue.name, maintenanceQueue.name],
      concurrency: config.workerConcurrency,
      startedAt: new Date().toISOString(),
    };
  }

  onApplicationBootstrap(): void {
    void this.send();
    this.timer = setInterval(() => void this.send(), HEARTBEAT_INTERVAL_MS);
  }

  /** A stopping worker takes no new job: it stops counting as a consumer at once. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.avatarQueue.client.multi().del(this.key).zrem(this.indexKey, this.id).exec().catch(() => undefined);
  }

  private async send(): Promise<void> {
    // A beat still pending (a slow or reconnecting broker) is never doubled.
    if (this.inFlight) return;
    this.inFlight = true;
    const beat = JSON.stringify({ ...this.beat, beatAt: new Date().toISOString() });
    try {
      await this.avatarQueue.client
        .multi()
        .set(this.key, beat, 'PX', HEARTBEAT_TTL_MS)
        .zadd(this.indexKey, Date.now() + HEARTBEAT_TTL_MS, this.id)
        .exec();
      if (this.failing) this.logger.log('heartbeat written again');
      this.failing = false;
    } catch (error) {
      // Once per outage, not every few seconds.
      if (!this.failing) this.logger.warn(`heartbeat not written: ${(error as Error).message}`);
      this.failing = true;
    } finally {
      this.inFlight = false;
    }
  }
}
