import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { observabilityConfig } from '../config/observability.config';
import { metricsAccessAllowed } from './metrics-token';

/** `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>` when that variable is set. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(observabilityConfig.KEY) private readonly config: ConfigType<typeof observabilityConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const authorization = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (metricsAccessAllowed(authorization, this.config.metricsToken)) return true;
    throw new UnauthorizedException('send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"');
  }
}
