import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Queue } from 'bull';
import { queueConfig } from '../../config/queue.config';
import { JobCodec } from '../../queue/job-codec';
import { CLEANUP_STAGING_JOB, MAINTENANCE_QUEUE, RECONCILE_UPLOADS_JOB } from '../../queue/queue.constants';

/**
 * The repeatable jobs (Celery Beat's schedule): the staging cleanup on CLEANUP_CRON in TIMEZONE, the reconciler every
 * RECONCILE_INTERVAL_SEC. Schedules live in Redis and vanish with it, so every worker calls `ensure()` at start and
 * then every interval: adding a schedule that exists is a no-op for Bull (same repeat key, same next job id), and a
 * schedule left by an older setting is replaced.
 */
@Injectable()
export class MaintenanceSchedules {
  constructor(
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
    private readonly codec: JobCodec,
  ) {}

  async ensure(): Promise<void> {
    const cleanup = { cron: this.config.cleanupCron, tz: this.config.timezone };
    const reconcile = { every: this.config.reconcileIntervalSec * 1000 };
    for (const job of await this.queue.getRepeatableJobs()) {
      const outdated =
        (job.name === CLEANUP_STAGING_JOB && (job.cron !== cleanup.cron || job.tz !== cleanup.tz)) ||
        (job.name === RECONCILE_UPLOADS_JOB && Number(job.every) !== reconcile.every);
      if (outdated) await this.queue.removeRepeatableByKey(job.key);
    }
    const options = { removeOnComplete: true, removeOnFail: 100 };
    await this.queue.add(CLEANUP_STAGING_JOB, this.codec.encodeTask({}), { repeat: cleanup, jobId: CLEANUP_STAGING_JOB, ...options });
    await this.queue.add(RECONCILE_UPLOADS_JOB, this.codec.encodeTask({}), { repeat: reconcile, jobId: RECONCILE_UPLOADS_JOB, ...options });
  }
}
