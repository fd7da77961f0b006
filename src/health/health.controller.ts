import { Controller, Get, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { AdminGuard } from '../auth/admin.guard';
import { AdmissionSnapshot, UploadAdmission } from '../avatars/http/upload-admission';
import { ApiErrors } from '../docs/api-errors';
import { DependencyChecks, NOT_READY } from './dependency-checks';
import { QueueReport, QueueStatus } from './queue-report';
import { ShutdownDrain } from './shutdown-drain';
import { WorkerBeat } from './worker-beat';

/** What anyone may learn: up, or (with 503) down — never which dependency or why. */
export interface PublicHealthDto {
  /** Always `ok` with 200; a 503 carries `error`. */
  status: 'ok';
}

/** Admin view: every check, each queue's jobs and consumers, and the live workers. */
export class HealthDetailsDto {
  /** `ok`, `error` (a check is down) or `shutting_down`. */
  status!: HealthCheckResult['status'];
  /** Per dependency (`mysql`, `broker`, `resultBackend`, `storage`): `{status: up|down, message?}`. */
  checks!: HealthCheckResult['details'];
  queues!: QueueStatus[];
  /** Workers whose heartbeat is fresh (written every 5 s, expiring after 15 s). */
  workers!: WorkerBeat[];
  /** Set when the queues could not be read from the broker. */
  queuesError?: string;
  /** This API process's admission control: uploads in flight and the waiting queue, against their limits. */
  admission!: AdmissionSnapshot;
}

const PUBLIC_HEALTH = {
  description: 'ready (or, for /health/live, alive)',
  schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
};

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: DependencyChecks,
    private readonly queues: QueueReport,
    private readonly drain: ShutdownDrain,
    private readonly admission: UploadAdmission,
  ) {}

  /** Public readiness: 200 `{status: "ok"}` when ready; 503 `{..., status: "error"}` otherwise and while shutting down. */
  @Get()
  @ApiErrors(503)
  @ApiOkResponse(PUBLIC_HEALTH)
  status(): Promise<PublicHealthDto> {
    return this.ready();
  }

  /** Liveness: the process is up and answering (also while it shuts down). */
  @Get('live')
  @ApiOkResponse(PUBLIC_HEALTH)
  live(): PublicHealthDto {
    return { status: 'ok' };
  }

  /** Readiness: MySQL, broker Redis, result-backend Redis and storage each answer within 1 s; 503 while shutting down. */
  @Get('ready')
  @ApiErrors(503)
  @ApiOkResponse(PUBLIC_HEALTH)
  async ready(): Promise<PublicHealthDto> {
    if (this.drain.draining) throw new ServiceUnavailableException(NOT_READY);
    await this.health.check(this.checks.all()).catch(() => {
      throw new ServiceUnavailableException(NOT_READY);
    });
    return { status: 'ok' };
  }

  /** Admin only: each check with its message, queue counts, live workers per queue, and a warning when jobs wait for none. */
  @Get('details')
  @ApiErrors(401, 403)
  @ApiBearerAuth()
  @UseGuards(AdminGuard)
  async details(): Promise<HealthDetailsDto> {
    const readiness = await this.health
      .check(this.checks.all())
      .catch((error: ServiceUnavailableException) => error.getResponse() as HealthCheckResult);
    const report = await this.queues
      .read()
      .catch((error: Error) => ({ queues: [], workers: [], queuesError: `the broker did not answer: ${error.message}` }));
    const admission = await this.admission.snapshot();
    return { status: this.drain.draining ? 'shutting_down' : readiness.status, checks: readiness.details, ...report, admission };
  }
}
