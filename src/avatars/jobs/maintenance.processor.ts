import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Job, Queue } from 'bull';
import { queueConfig } from '../../config/queue.config';
import { EncodedPayload, JobCodec } from '../../queue/job-codec';
import { CLEANUP_STAGING_JOB, DELETE_OBJECTS_JOB, DeleteObjectsJob, MAINTENANCE_QUEUE } from '../../queue/queue.constants';
import { AvatarMaintenanceService } from './avatar-maintenance.service';

/** Scheduled and delayed housekeeping: the counterpart of Celery Beat's periodic tasks. */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    private readonly maintenance: AvatarMaintenanceService,
    private readonly codec: JobCodec,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
  ) {}

  /** Registers the cleanup schedule in TIMEZONE; a schedule left by an older cron or zone is replaced. */
  async onApplicationBootstrap(): Promise<void> {
    const repeat = { cron: this.config.cleanupCron, tz: this.config.timezone };
    for (const job of await this.queue.getRepeatableJobs()) {
      if (job.name === CLEANUP_STAGING_JOB && (job.cron !== repeat.cron || job.tz !== repeat.tz)) {
        await this.queue.removeRepeatableByKey(job.key);
      }
    }
    await this.queue.add(CLEANUP_STAGING_JOB, this.codec.encodeTask({}), {
      repeat,
      jobId: CLEANUP_STAGING_JOB,
      removeOnComplete: true,
      removeOnFail: 100,
    });
    this.logger.log(`staging cleanup scheduled: "${repeat.cron}" in ${repeat.tz}`);
  }

  @Process({ name: DELETE_OBJECTS_JOB, concurrency: 1 })
  async deleteObjects(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    const deleted = await this.maintenance.deleteUnusedObjects(this.codec.decodeTask<DeleteObjectsJob>(job));
    return this.codec.encodeResult({ deleted });
  }

  @Process({ name: CLEANUP_STAGING_JOB, concurrency: 1 })
  async cleanStaging(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    this.codec.decodeTask(job);
    return this.codec.encodeResult(await this.maintenance.cleanStaging());
  }
}
