import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { JobMetrics } from './job-metrics';
import { MetricsModule } from './metrics.module';

/** Worker only: job counters and durations from the jobs this process runs. */
@Module({ imports: [MetricsModule, QueueModule], providers: [JobMetrics] })
export class WorkerMetricsModule {}
