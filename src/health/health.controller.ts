import { InjectQueue } from '@nestjs/bull';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { AVATAR_QUEUE } from '../queue/queue.constants';
import { ApiErrors } from '../docs/api-errors';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
  ) {}

  /** 200 when MySQL and the broker answer, with the queue's backlog; 503 otherwise. */
  @Get()
  @ApiErrors(503)
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status', 'queue'],
      properties: {
        status: { type: 'string', enum: ['ok'] },
        queue: { type: 'object', description: 'jobs per state', additionalProperties: { type: 'integer' } },
      },
    },
  })
  async check(): Promise<{ status: 'ok'; queue: Record<string, number> }> {
    try {
      await this.dataSource.query('SELECT 1');
      const counts = await this.queue.getJobCounts();
      return { status: 'ok', queue: { ...counts } };
    } catch (error) {
      throw new ServiceUnavailableException(`not ready: ${(error as Error).message}`);
    }
  }
}
