import { Process, Processor } from '@nestjs/bull';
import { Inject } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Job } from 'bull';
import { queueConfig } from '../../config/queue.config';
import { isDatabaseUnavailable } from '../../database/database-unavailable';
import { EncodedPayload, JobCodec } from '../../queue/job-codec';
import {
  CLEANUP_STAGING_JOB,
  DELETE_OBJECTS_JOB,
  DeleteObjectsJob,
  MAINTENANCE_QUEUE,
  RECONCILE_UPLOADS_JOB,
} from '../../queue/queue.constants';
import { AvatarMaintenanceService } from './avatar-maintenance.service';
import { DatabaseUnavailableError } from './upload-job.errors';
import { UploadReconciler } from './upload-reconciler';

/** Scheduled and delayed housekeeping (the counterpart of Celery Beat's periodic tasks; see MaintenanceSchedules). */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor {
  constructor(
    private readonly maintenance: AvatarMaintenanceService,
    private readonly reconciler: UploadReconciler,
    private readonly codec: JobCodec,
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
  ) {}

  @Process({ name: DELETE_OBJECTS_JOB, concurrency: 1 })
  async deleteObjects(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    try {
      const deleted = await this.maintenance.deleteUnusedObjects(this.codec.decodeTask<DeleteObjectsJob>(job));
      return this.codec.encodeResult({ deleted });
    } catch (error) {
      // Like upload jobs: a MySQL outage must not use up the deletion's attempts and orphan the objects.
      if (!isDatabaseUnavailable(error)) throw error;
      job.attemptsMade -= 1;
      throw new DatabaseUnavailableError(error, this.config.databaseRetryDelayMs);
    }
  }

  @Process({ name: RECONCILE_UPLOADS_JOB, concurrency: 1 })
  async reconcileUploads(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    this.codec.decodeTask(job);
    return this.codec.encodeResult(await this.reconciler.reconcile());
  }

  @Process({ name: CLEANUP_STAGING_JOB, concurrency: 1 })
  async cleanStaging(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    this.codec.decodeTask(job);
    return this.codec.encodeResult(await this.maintenance.cleanStaging());
  }
}
