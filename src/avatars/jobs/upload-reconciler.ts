import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { access } from 'node:fs/promises';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import { queueConfig } from '../../config/queue.config';
import { AVATAR_QUEUE } from '../../queue/queue.constants';
import { StorageDriver } from '../../storage/storage-driver';
import { AvatarUpload } from '../avatar-upload.entity';
import { UploadRedriveService } from '../upload-redrive.service';
import { AvatarProcessingService } from './avatar-processing.service';
import { SOURCE_GONE_REASON, publicReasonFromText } from './failure-reason';
import { MaintenanceSchedules } from './maintenance-schedules';

export interface ReconcileReport {
  redriven: number;
  failed: number;
}

/** Bull states in which the queue still owns the job; anything else (no job, failed, stuck) is ours to repair. */
const OWNED_BY_QUEUE = new Set(['waiting', 'active', 'delayed', 'paused']);

/**
 * MySQL is the truth; Redis only carries work. Every RECONCILE_INTERVAL_SEC (a repeatable job) and at every worker
 * start, uploads that have been queued or processing for at least one interval are compared with the queue: one whose
 * job is gone (Redis restarted empty, flushed, failed over) or failed without the row hearing of it (MySQL was down
 * at that moment) is re-driven under a fresh job id, or failed with a reason when its attempts are spent or its source
 * is gone. Re-driving is safe however often it happens: only the job the row names may claim or commit the upload.
 */
@Injectable()
export class UploadReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadReconciler.name);
  private watchdog?: NodeJS.Timeout;
  private scheduleFailing = false;

  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
    private readonly redrive: UploadRedriveService,
    private readonly processing: AvatarProcessingService,
    private readonly schedules: MaintenanceSchedules,
    private readonly storage: StorageDriver,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.schedules.ensure();
    this.logger.log(`reconciling uploads with the queue every ${this.config.reconcileIntervalSec} s`);
    await this.reconcile().catch((error: Error) => this.logger.warn(`start-up reconciliation failed: ${error.message}`));
    // The schedule itself lives in Redis: a Redis that lost it would never run the reconciler again.
    this.watchdog = setInterval(() => void this.keepScheduled(), this.config.reconcileIntervalSec * 1000);
    this.watchdog.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.watchdog);
  }

  async reconcile(now = new Date()): Promise<ReconcileReport> {
    await this.schedules.ensure();
    const quietSince = new Date(now.getTime() - this.config.reconcileIntervalSec * 1000);
    const open = await this.uploads.find({
      where: { status: In(['queued', 'processing']), updatedAt: LessThan(quietSince) },
      select: { id: true, userId: true, status: true, jobId: true, attempts: true, stagedPath: true, directKey: true, crop: true },
      order: { updatedAt: 'ASC' },
      take: 500,
    });
    const report: ReconcileReport = { redriven: 0, failed: 0 };
    for (const upload of open) {
      const job = upload.jobId ? await this.queue.getJob(upload.jobId) : null;
      const state = job ? await job.getState() : 'missing';
      if (OWNED_BY_QUEUE.has(state)) continue;
      if (state === 'failed' && upload.attempts >= this.config.maxRetries + 1) {
        if (await this.fail(upload, publicReasonFromText(job?.failedReason ?? ''))) report.failed += 1;
      } else if (!(await this.sourceExists(upload))) {
        if (await this.fail(upload, SOURCE_GONE_REASON)) report.failed += 1;
      } else if (await this.redrive.redrive(upload)) {
        report.redriven += 1;
      }
    }
    if (report.redriven + report.failed > 0) {
      this.logger.warn(`reconciler: re-drove ${report.redriven} upload(s) whose job was lost, failed ${report.failed}`);
    }
    return report;
  }

  private async fail(upload: AvatarUpload, reason: string): Promise<boolean> {
    const failed = await this.uploads.update(
      { id: upload.id, status: upload.status, jobId: upload.jobId ?? IsNull() },
      { status: 'failed', error: reason, finishedAt: new Date() },
    );
    if (!failed.affected) return false;
    await this.processing.discardSource(upload).catch(() => undefined);
    return true;
  }

  /** Whether a worker could still read the upload; when storage cannot say, assume so and let the job retry. */
  private async sourceExists(upload: AvatarUpload): Promise<boolean> {
    if (upload.stagedPath) return access(upload.stagedPath).then(() => true, () => false);
    if (upload.directKey) return this.storage.stat(upload.directKey).then((object) => object !== null, () => true);
    return false;
  }

  private async keepScheduled(): Promise<void> {
    try {
      await this.schedules.ensure();
      if (this.scheduleFailing) this.logger.log('maintenance schedules checked again');
      this.scheduleFailing = false;
    } catch (error) {
      if (!this.scheduleFailing) this.logger.warn(`could not check the maintenance schedules: ${(error as Error).message}`);
      this.scheduleFailing = true;
    }
  }
}
