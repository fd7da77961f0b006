import { Module } from '@nestjs/common';
import { AvatarsJobsModule } from './avatars/jobs/avatars-jobs.module';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { WorkerProbesModule } from './health/worker-probes.module';
import { WorkerLoggingModule } from './logging/logging.module';
import { WorkerMetricsModule } from './metrics/worker-metrics.module';
import { QueueModule } from './queue/queue.module';
import { StorageModule } from './storage/storage.module';

/** The worker: the queue consumers and what they need, and no HTTP side (no controllers, guards, JWT or multer). */
@Module({
  imports: [
    AppConfigModule,
    WorkerLoggingModule,
    DatabaseModule,
    QueueModule,
    StorageModule,
    AvatarsJobsModule,
    WorkerMetricsModule,
    WorkerProbesModule,
  ],
})
export class WorkerModule {}
