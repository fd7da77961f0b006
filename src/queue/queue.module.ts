import { BullModule, InjectQueue } from '@nestjs/bull';
import { Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Queue } from 'bull';
import { queueConfig } from '../config/queue.config';
import { BrokerConnections } from './broker-connections';
import { JobCodec } from './job-codec';
import { BrokerPolicyCheck } from './broker-policy-check';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from './queue.constants';
import { ResultBackend } from './result-backend';
import { RETRY_BACKOFF, retryDelay } from './retry-backoff';

const JOB_TIMEOUT_GRACE_SEC = 10;

const brokerConnectionsProvider = {
  provide: BrokerConnections,
  inject: [queueConfig.KEY],
  useFactory: (config: ConfigType<typeof queueConfig>) =>
    new BrokerConnections(config.broker, config.brokerPoolLimit, `${config.prefix}:${process.pid}`, config.brokerTimeoutMs),
};

/** Holds the broker connections, so that Bull's root options and QueueModule share one instance. */
@Module({ providers: [brokerConnectionsProvider], exports: [BrokerConnections] })
class QueueConnectionsModule {}

@Module({
  imports: [
    QueueConnectionsModule,
    BullModule.forRootAsync({
      imports: [QueueConnectionsModule],
      inject: [queueConfig.KEY, BrokerConnections],
      useFactory: (config: ConfigType<typeof queueConfig>, connections: BrokerConnections) => ({
        prefix: config.prefix,
        createClient: (type, redisOpts) => connections.create(type, redisOpts),
        settings: {
          // A worker killed mid-job stops renewing its lock; within TASK_LOCK_SEC + TASK_STALLED_INTERVAL_SEC another
          // worker's stalled check puts the job back in the queue (or fails it after TASK_MAX_STALLED_COUNT times).
          lockDuration: config.taskLockSec * 1000,
          lockRenewTime: (config.taskLockSec * 1000) / 2,
          stalledInterval: config.stalledIntervalSec * 1000,
          maxStalledCount: config.maxStalledCount,
          backoffStrategies: { [RETRY_BACKOFF]: retryDelay(config.retryBackoffMs) },
        },
        defaultJobOptions: {
          // Celery counts retries, Bull counts attempts: the first run plus TASK_MAX_RETRIES.
          attempts: config.maxRetries + 1,
          backoff: { type: RETRY_BACKOFF },
          // A backstop that frees the slot of any job whose handler hangs; upload jobs enforce TASK_TIME_LIMIT
          // themselves, with a reason and without retry, a little earlier.
          timeout: (config.timeLimitSec + JOB_TIMEOUT_GRACE_SEC) * 1000,
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      }),
    }),
    BullModule.registerQueueAsync(
      {
        name: AVATAR_QUEUE,
        inject: [queueConfig.KEY],
        useFactory: (config: ConfigType<typeof queueConfig>) => ({ limiter: config.rateLimit }),
      },
      { name: MAINTENANCE_QUEUE },
    ),
  ],
  providers: [JobCodec, ResultBackend, BrokerPolicyCheck],
  exports: [BullModule, JobCodec, ResultBackend, QueueConnectionsModule],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
    private readonly connections: BrokerConnections,
  ) {}

  /** Bull does not close connections it got from createClient: close the queues (waiting for active jobs), then them. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.avatarQueue.close(), this.maintenanceQueue.close()]);
    await this.connections.closeAll();
  }
}
