import { InjectQueue, OnQueueActive, OnQueueCompleted, OnQueueFailed, Processor } from '@nestjs/bull';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Job, Queue } from 'bull';
import { queueConfig } from '../../config/queue.config';
import { ImageRejectedError } from '../../images/image-rejected.error';
import { JobLogContext } from '../../logging/job-log-context';
import { ContentNotAcceptedError, EncodedPayload, JobCodec } from '../../queue/job-codec';
import { AVATAR_QUEUE, UPLOAD_AVATAR_JOB, UploadAvatarJob, uploadIdOfJob } from '../../queue/queue.constants';
import { JobRecord, ResultBackend } from '../../queue/result-backend';
import { StorageRejectedError } from '../../storage/storage.errors';
import { AvatarProcessingService, UploadAlreadyFailedError } from './avatar-processing.service';

// Bull has Job#isDiscarded, but its type definitions leave it out.
const isDiscarded = (job: Job): boolean => (job as Job & { isDiscarded(): boolean }).isDiscarded();
// Bull never re-runs a failed job by itself; Job#retry (what the queue dashboard's retry calls) stamps `retriedOn`.
const isRetriedByHand = (job: Job): boolean => Boolean((job as Job & { retriedOn?: number }).retriedOn);

/** An attempt ran past TASK_TIME_LIMIT: whatever made it that slow would make a retry as slow. */
class TimeLimitExceededError extends Error {
  readonly name = 'TimeLimitExceededError';
}

/** Failures a retry cannot fix. */
const PERMANENT = [ImageRejectedError, ContentNotAcceptedError, StorageRejectedError, UploadAlreadyFailedError, TimeLimitExceededError];

@Processor(AVATAR_QUEUE)
export class UploadAvatarProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(UploadAvatarProcessor.name);

  constructor(
    private readonly processing: AvatarProcessingService,
    private readonly codec: JobCodec,
    private readonly results: ResultBackend,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>,
    private readonly logContext: JobLogContext,
  ) {}

  /**
   * Starts consuming with WORKER_CONCURRENCY from the validated config. Registered here rather than with
   * `@Process({ concurrency })`, whose argument would have to exist at import time, before the config is loaded.
   */
  onApplicationBootstrap(): void {
    void this.queue.process(UPLOAD_AVATAR_JOB, this.config.workerConcurrency, (job: Job<EncodedPayload>) =>
      this.logContext.run(this.logFieldsOf(job), () => this.handle(job)),
    );
  }

  /** Every line logged during the job names it, its upload and the API request that accepted the upload. */
  private logFieldsOf(job: Job<EncodedPayload>): Record<string, string | undefined> {
    const fields = { jobId: String(job.id), uploadId: uploadIdOfJob(job.id) };
    try {
      const { uploadId, requestId } = this.codec.decodeTask<UploadAvatarJob>(job);
      return { ...fields, uploadId, requestId };
    } catch {
      return fields; // a payload this worker refuses: handle() fails the job with the reason
    }
  }

  async handle(job: Job<EncodedPayload>): Promise<EncodedPayload> {
    let uploadId = uploadIdOfJob(job.id);
    try {
      const task = this.codec.decodeTask<UploadAvatarJob>(job);
      uploadId = task.uploadId;
      this.logger.debug(`upload job ${job.id} attempt ${job.attemptsMade + 1} started`);
      const id = uploadId;
      const outcome = await this.withinTimeLimit((expired) =>
        this.processing.process(
          id,
          async (percent) => {
            if (expired()) return;
            await job.progress(percent);
            await this.report(job, { progress: percent });
          },
          isRetriedByHand(job),
          task.crop,
        ),
      );
      this.logger.log(`upload ${uploadId} done${outcome.applied ? '' : ' (a newer upload had already set the avatar)'}`);
      return this.codec.encodeResult(outcome);
    } catch (error) {
      const permanent = PERMANENT.some((type) => error instanceof type);
      if (permanent) await job.discard();
      const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = (error as Error).message;
      this.logger.warn(`upload job ${job.id} attempt ${job.attemptsMade + 1} failed${final ? ' for good' : ''}: ${reason}`);
      if (uploadId) await this.processing.recordFailure(uploadId, reason, final);
      throw error;
    }
  }

  /**
   * Fails the attempt once it has run TASK_TIME_LIMIT seconds, which frees its worker slot at once. Work still in
   * flight (a native decode cannot be interrupted) finishes in the background and is thrown away: the commit
   * refuses an upload that has failed meanwhile, and its stored objects are scheduled for deletion.
   */
  private async withinTimeLimit<T>(work: (expired: () => boolean) => Promise<T>): Promise<T> {
    const limitSec = this.config.timeLimitSec;
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(new TimeLimitExceededError(`processing took longer than ${limitSec} s; try a smaller or simpler image`));
      }, limitSec * 1000);
    });
    const running = work(() => expired);
    running.catch(() => undefined); // once the deadline has passed, a late failure has nobody left to tell
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  @OnQueueActive()
  async onActive(job: Job): Promise<void> {
    await this.report(job, { state: 'active', attemptsMade: job.attemptsMade });
  }

  @OnQueueCompleted()
  async onCompleted(job: Job, result: EncodedPayload): Promise<void> {
    await this.report(job, {
      state: 'completed',
      progress: 100,
      // Bull counts only failed attempts; clients want every attempt, the successful one included.
      attemptsMade: job.attemptsMade + 1,
      result: this.codec.decodeResult(result),
    });
  }

  @OnQueueFailed()
  async onFailed(job: Job, error: Error): Promise<void> {
    const willRetry = !isDiscarded(job) && job.attemptsMade < (job.opts.attempts ?? 1);
    await this.report(job, {
      state: willRetry ? 'delayed' : 'failed',
      attemptsMade: job.attemptsMade,
      failedReason: error.message,
    });
  }

  /** What clients can poll is a report on the work, not the work: a result backend hiccup must not fail a job. */
  private async report(job: Job, change: Partial<JobRecord>): Promise<void> {
    await this.results.record(String(job.id), change).catch((error: Error) =>
      this.logger.warn(`could not record the state of job ${job.id} in the result backend: ${error.message}`),
    );
  }
}
