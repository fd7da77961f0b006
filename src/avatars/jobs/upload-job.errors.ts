/** The job is not the upload's current one: the upload was re-driven under a fresh job id, which does the work. */
export class JobSupersededError extends Error {
  readonly name = 'JobSupersededError';
}

/** The upload row is gone (the API removed it when the queue could not take the job, or its user was deleted). */
export class UploadGoneError extends Error {
  readonly name = 'UploadGoneError';
}

/** MySQL is unreachable: the job runs again after a delay, and the run does not count as an attempt. */
export class DatabaseUnavailableError extends Error {
  readonly name = 'DatabaseUnavailableError';
  constructor(
    readonly cause: unknown,
    /** Read by the retry strategy (queue/retry-backoff.ts). */
    readonly retryDelayMs: number,
  ) {
    super(`database unavailable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** An attempt ran past TASK_TIME_LIMIT: whatever made it that slow would make a retry as slow. The message is for people. */
export class TimeLimitExceededError extends Error {
  readonly name = 'TimeLimitExceededError';
}
