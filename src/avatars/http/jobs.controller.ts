import { Controller, Get, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUserId } from '../../auth/current-user-id.decorator';
import { JwtGuard } from '../../auth/jwt.guard';
import { ResultBackend } from '../../queue/result-backend';
import { JobStatusDto } from './dto/job-status.dto';
import { ApiErrors } from '../../docs/api-errors';

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(JwtGuard)
@Controller('jobs')
export class JobsController {
  constructor(private readonly results: ResultBackend) {}

  /** A job's state from the result backend. 404 when unknown, expired (RESULT_EXPIRES) or not the caller's. */
  @Get(':jobId')
  @ApiErrors(401, 404)
  async find(@CurrentUserId() userId: number, @Param('jobId') jobId: string): Promise<JobStatusDto> {
    const record = await this.results.get(jobId);
    if (!record || record.ownerId !== userId) throw new NotFoundException(`no job ${jobId}`);
    const { id, name, state, progress, attemptsMade, result, failedReason } = record;
    return { id, name, state, progress, attemptsMade, ...(result !== undefined ? { result } : {}), ...(failedReason ? { failedReason } : {}) };
  }
}
