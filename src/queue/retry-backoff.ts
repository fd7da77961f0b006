/** Bull's name for our retry schedule (the jobs' `backoff.type`). */
export const RETRY_BACKOFF = 'exponential-or-requested';

/** An error that says how long to wait before the next run (a dependency that is down, not a failed attempt). */
export interface RetryAfter {
  retryDelayMs: number;
}

const requestsDelay = (error: unknown): error is RetryAfter =>
  typeof (error as Partial<RetryAfter> | undefined)?.retryDelayMs === 'number';

/** TASK_RETRY_BACKOFF_MS doubling per attempt, like Bull's 'exponential', unless the error asks for its own delay. */
export function retryDelay(backoffMs: number): (attemptsMade: number, error?: unknown) => number {
  return (attemptsMade, error) =>
    requestsDelay(error) ? error.retryDelayMs : Math.round((2 ** attemptsMade - 1) * backoffMs);
}
