import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { HealthChecksModule } from './health-checks.module';
import { WorkerHeartbeat } from './worker-heartbeat';
import { WorkerHttpServer } from './worker-http.server';

/** Worker only: its listener on WORKER_HTTP_PORT (liveness, readiness, metrics) and its heartbeat in Redis. */
@Module({ imports: [HealthChecksModule, MetricsModule, QueueModule], providers: [WorkerHttpServer, WorkerHeartbeat] })
export class WorkerProbesModule {}
