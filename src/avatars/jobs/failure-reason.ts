import { ImageRejectedError } from '../../images/image-rejected.error';
import { ContentNotAcceptedError } from '../../queue/job-codec';
import { StorageNotFoundError, StorageRejectedError, StorageUnavailableError } from '../../storage/storage.errors';
import { UploadAlreadyFailedError } from './avatar-processing.service';
import { DatabaseUnavailableError, JobSupersededError, TimeLimitExceededError } from './upload-job.errors';

const STALLED = /stalled more than allowable limit/i;
const TIMED_OUT = /timed out/i;

export const SOURCE_GONE_REASON = 'the uploaded file is no longer available; please upload again';
export const INTERRUPTED_REASON = 'processing was interrupted too many times; please upload again';

/**
 * The one place that turns a job's failure into what the person who uploaded reads (the upload's `error`, the job's
 * `failedReason`). Messages we write for people pass through; anything else becomes a plain sentence, so no path,
 * host name or library internal reaches a client. The full error goes to the worker's log.
 */
export function publicFailureReason(error: unknown): string {
  if (
    error instanceof ImageRejectedError ||
    error instanceof ContentNotAcceptedError ||
    error instanceof UploadAlreadyFailedError ||
    error instanceof TimeLimitExceededError
  ) {
    return error.message;
  }
  if (error instanceof StorageRejectedError) return 'the storage service refused the image';
  if (error instanceof StorageUnavailableError) return 'the storage service was unavailable; please upload again later';
  if (error instanceof StorageNotFoundError || (error as NodeJS.ErrnoException)?.code === 'ENOENT') return SOURCE_GONE_REASON;
  if (error instanceof DatabaseUnavailableError) return 'the service was temporarily unavailable; please upload again later';
  if (error instanceof JobSupersededError) return 'this job was replaced by a newer one for the same upload';
  return publicReasonFromText((error as Error)?.message ?? '');
}

/**
 * What a client reads while an upload waits for its next attempt: what went wrong, and that nothing is asked of them
 * (the final reasons' advice, "please upload again", is for an upload that will not be tried again).
 */
export function publicRetryReason(error: unknown): string {
  return `${publicFailureReason(error).split(';')[0]}; trying again shortly`;
}

/** For failures known only by Bull's text (a job that stalled too often, a job timeout). */
export function publicReasonFromText(message: string): string {
  if (STALLED.test(message)) return INTERRUPTED_REASON;
  if (TIMED_OUT.test(message)) return 'processing took too long and was stopped';
  return 'processing failed unexpectedly; please upload again';
}
