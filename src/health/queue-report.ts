import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JobCounts, Queue } from 'bull';
import { queueConfig } from '../config/queue.config';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { WorkerBeat, heartbeatIndexKey, heartbeatKey } from './worker-beat';
import { CHECK_TIMEOUT_MS } from './dependency-checks';
import { within } from './within';

/** One queue as an operator sees it: its jobs per state, the live workers consuming it, and what is wrong. */
export interface QueueStatus {
  queue: string;
  counts: JobCounts;
  workers: number;
  /** Set when jobs wait and no live worker consumes the queue. */
  warning?: string;
}

export interface WorkersReport {
  queues: QueueStatus[];
  workers: WorkerBeat[];
}

/** API side of the worker heartbeats: who is alive, which queues they consume, and queues nobody drains. */
@Injectable()
export class QueueReport {
  constructor(
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
  ) {}

  async read(): Promise<WorkersReport> {
    const workers = await within(CHECK_TIMEOUT_MS, this.liveWorkers());
    const queues = await Promise.all(
      [this.avatarQueue, this.maintenanceQueue].map(async (queue): Promise<QueueStatus> => {
        const counts = await within(CHECK_TIMEOUT_MS, queue.getJobCounts());
        const consumers = workers.filter((worker) => worker.queues.includes(queue.name)).length;
        return {
          queue: queue.name,
          counts,
          workers: consumers,
          ...(consumers === 0 && counts.waiting > 0
            ? { warning: `no worker consumes "${queue.name}" while ${counts.waiting} job(s) wait` }
            : {}),
        };
      }),
    );
    return { queues, workers };
  }

  private async liveWorkers(): Promise<WorkerBeat[]> {
    const redis = this.avatarQueue.client;
    const index = heartbeatIndexKey(this.config.prefix);
    const now = Date.now();
    // Workers that stopped without saying goodbye (a crash, SIGKILL) leave the index once their beat has expired.
    await redis.zremrangebyscore(index, '-inf', now);
    const ids = await redis.zrangebyscore(index, now, '+inf');
    if (ids.length === 0) return [];
    const beats = await redis.mget(...ids.map((id) => heartbeatKey(this.config.prefix, id)));
    return beats.filter((beat): beat is string => beat !== null).map((beat) => JSON.parse(beat) as WorkerBeat);
  }
}
