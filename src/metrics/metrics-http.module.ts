import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsModule } from './metrics.module';
import { MetricsTokenGuard } from './metrics-token.guard';

/** The API's side: `GET /metrics` and the timing of every request. */
@Module({ imports: [MetricsModule], controllers: [MetricsController], providers: [HttpMetricsMiddleware, MetricsTokenGuard] })
export class MetricsHttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
