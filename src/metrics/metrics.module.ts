import { Global, Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { Metrics } from './metrics';

/** One metrics registry per process, available everywhere (the API's middleware, a worker's pipeline). */
@Global()
@Module({ imports: [QueueModule], providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
