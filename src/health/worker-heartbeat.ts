import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Queue } from 'bull';
import { hostname } from 'node:os';
import { queueConfig } from '../config/queue.config';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS, WorkerBeat, heartbeatKey } from './worker-beat';

/**
 * Worker only: a key per worker in the broker Redis, refreshed every few seconds and expiring soon after the worker
 * stops refreshing it, naming the queues it consumes. The API counts these to tell how many workers each queue has.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly key: string;
  private readonly beat: WorkerBeat;
  private timer?: NodeJS.Timeout;
  private inFlight = false;

  constructor(
    @Inject(queueConfig.KEY) config: ConfigType<typeof queueConfig>,
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) maintenanceQueue: Queue,
  ) {
    this.key = heartbeatKey(config.prefix, `${hostname()}:${process.pid}`);
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
    await this.avatarQueue.client.del(this.key).catch(() => undefined);
  }

  private async send(): Promise<void> {
    // While the broker is away, commands queue up instead of failing: never stack a second beat on a pending one.
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await this.avatarQueue.client.set(this.key, JSON.stringify({ ...this.beat, beatAt: new Date().toISOString() }), 'PX', HEARTBEAT_TTL_MS);
    } catch (error) {
      this.logger.warn(`heartbeat not written: ${(error as Error).message}`);
    } finally {
      this.inFlight = false;
    }
  }
}
