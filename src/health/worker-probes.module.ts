import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { HealthChecksModule } from './health-checks.module';
import { WorkerHttpServer } from './worker-http.server';

/** Worker only: its listener on WORKER_HTTP_PORT for liveness, readiness and metrics. */
@Module({ imports: [HealthChecksModule, MetricsModule], providers: [WorkerHttpServer] })
export class WorkerProbesModule {}
