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
import { isDatabaseUnavailable } from '../../database/database-unavailable';
import { StorageRejectedError } from '../../storage/storage.errors';
import { AvatarProcessingService, UploadAlreadyFailedError } from './avatar-processing.service';
import { publicFailureReason, publicRetryReason } from './failure-reason';
import { DatabaseUnavailableError, JobSupersededError, TimeLimitExceededError, UploadGoneError } from './upload-job.errors';

// Bull has Job#isDiscarded, but its type definitions leave it out.
const isDiscarded = (job: Job): boolean => (job as Job & { isDiscarded(): boolean }).isDiscarded();
// Bull never re-runs a failed job by itself; Job#retry (what the queue dashboard's retry calls) stamps `retriedOn`.
const isRetriedByHand = (job: Job): boolean => Boolean((job as Job & { retriedOn?: number }).retriedOn);

/** Failures a retry cannot fix. */
const PERMANENT = [
  ImageRejectedError,
  ContentNotAcceptedError,
  StorageRejectedError,
  UploadAlreadyFailedError,
  TimeLimitExceededError,
  UploadGoneError,
  JobSupersededError,
];

/** The log line's detail: the message plus the error code when there is one (never shown to clients). */
const describe = (error: unknown): string => {
  const { message, code } = error as Error & { code?: string };
  return code && !message.includes(code) ? `${message} (${code})` : message;
};

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
    const jobId = String(job.id);
    let uploadId = uploadIdOfJob(jobId);
    try {
      const task = this.codec.decodeTask<UploadAvatarJob>(job);
      uploadId = task.uploadId;
      this.logger.debug(`upload job ${jobId} attempt ${job.attemptsMade + 1} started`);
      // One report per stage (decoded, encoded, stored), to the result backend that clients read (Bull's own
      // job.progress would cost a script and an event per stage for a figure nobody reads). Not awaited: the job goes
      // on while it travels, and the backend writes a job's changes in order, its completion after its progress.
      const outcome = await this.withinTimeLimit(job, (expired) =>
        this.processing.process(
          task,
          jobId,
          async (percent) => {
            if (!expired()) void this.report(job, { progress: percent });
          },
          isRetriedByHand(job),
        ),
      );
      this.logger.log(`upload ${uploadId} done${outcome.applied ? '' : ' (a newer upload had already set the avatar)'}`);
      return this.codec.encodeResult(outcome);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // Bull counts an attempt by incrementing attemptsMade in moveToFailed (bull 4.16, lib/job.js); taking one off
        // here first means a database outage costs no attempt, and the retry strategy waits the requested delay.
        job.attemptsMade -= 1;
        this.logger.warn(`upload job ${jobId}: database unavailable, running it again in ${this.config.databaseRetryDelayMs} ms`);
        throw new DatabaseUnavailableError(error, this.config.databaseRetryDelayMs);
      }
      const permanent = PERMANENT.some((type) => error instanceof type);
      if (permanent) await job.discard();
      const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.warn(
        `upload job ${jobId} attempt ${job.attemptsMade + 1} failed${final ? ' for good' : ''}: ${describe(error)}`,
      );
      // A final failure reaches the row in onFailed, which also sees failures that never pass through here.
      if (uploadId && !final) await this.processing.recordFailure(uploadId, jobId, publicRetryReason(error), false);
      throw error;
    }
  }

  /**
   * Fails the attempt once it has run TASK_TIME_LIMIT seconds, which frees its worker slot at once. Work still in
   * flight (a native decode cannot be interrupted) finishes in the background and is thrown away: the commit
   * refuses an upload that has failed meanwhile, and its stored objects are scheduled for deletion.
   */
  private async withinTimeLimit<T>(job: Job, work: (expired: () => boolean) => Promise<T>): Promise<T> {
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
    // Once the deadline has passed, a late failure has nobody left to tell; the end of the abandoned work is logged.
    running
      .catch(() => undefined)
      .finally(() => expired && this.logger.warn(`upload job ${job.id}: the attempt abandoned at the time limit has ended`));
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

  /**
   * Every way a job ends in failure passes here, in the worker that ran it or found it stalled: failed after its
   * attempts, discarded as permanent, stalled too often, timed out. The upload row hears about it, with a reason
   * written for people; the result backend gets the same reason.
   */
  @OnQueueFailed()
  async onFailed(job: Job, error: Error): Promise<void> {
    // A job failed by the stalled check has attempts left on paper; its finishedOn says it is over.
    const willRetry = !isDiscarded(job) && !job.finishedOn && job.attemptsMade < (job.opts.attempts ?? 1);
    const reason = publicFailureReason(error);
    const uploadId = uploadIdOfJob(job.id) ?? this.uploadIdInPayload(job);
    if (!willRetry && uploadId && !(error instanceof JobSupersededError)) {
      await this.processing
        .recordFailure(uploadId, String(job.id), reason, true, isDiscarded(job))
        .catch((failure: Error) => this.logger.warn(`could not record the failure of upload ${uploadId}: ${failure.message}`));
    }
    await this.report(job, { state: willRetry ? 'delayed' : 'failed', attemptsMade: job.attemptsMade, failedReason: reason });
  }

  private uploadIdInPayload(job: Job): string | undefined {
    try {
      return this.codec.decodeTask<UploadAvatarJob>(job as Job<EncodedPayload>).uploadId;
    } catch {
      return undefined;
    }
  }

  /** What clients can poll is a report on the work, not the work: a result backend hiccup must not fail a job. */
  private async report(job: Job, change: Partial<JobRecord>): Promise<void> {
    await this.results.record(String(job.id), change).catch((error: Error) =>
      this.logger.warn(`could not record the state of job ${job.id} in the result backend: ${error.message}`),
    );
  }
}
