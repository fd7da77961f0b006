import { Process, Processor } from '@nestjs/bull';
import { Job } from 'bull';
import { EncodedPayload, JobCodec } from '../../queue/job-codec';
import {
  CLEANUP_STAGING_JOB,
  DELETE_OBJECTS_JOB,
  DeleteObjectsJob,
  MAINTENANCE_QUEUE,
  RECONCILE_UPLOADS_JOB,
} from '../../queue/queue.constants';
import { AvatarMaintenanceService } from './avatar-maintenance.service';
import { UploadReconciler } from './upload-reconciler';

/** Scheduled and delayed housekeeping (the counterpart of Celery Beat's periodic tasks; see MaintenanceSchedules). */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor {
  constructor(
    private readonly maintenance: AvatarMaintenanceService,
    private readonly reconciler: UploadReconciler,
    private readonly codec: JobCodec,
  ) {}

  @Process({ name: DELETE_OBJECTS_JOB, concurrency: 1 })
  async deleteObjects(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    const deleted = await this.maintenance.deleteUnusedObjects(this.codec.decodeTask<DeleteObjectsJob>(job));
    return this.codec.encodeResult({ deleted });
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
