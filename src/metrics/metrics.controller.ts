import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Metrics } from './metrics';
import { MetricsTokenGuard } from './metrics-token.guard';
import { ApiErrors } from '../docs/api-errors';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  /** Prometheus text exposition. Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set. */
  @Get()
  @ApiErrors(401)
  @ApiBearerAuth()
  @ApiOkResponse({ description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } })
  @UseGuards(MetricsTokenGuard)
  async scrape(@Res() res: Response): Promise<void> {
    res.type(this.metrics.contentType).send(await this.metrics.scrape());
  }
}
