import { HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { RetryLaterException } from '../http/retry-later.exception';

/** @nestjs/throttler's guard, answering like the rest of the API: 429, a plain `Retry-After`, `{statusCode, message, error}`. */
@Injectable()
export class RetryAfterThrottlerGuard extends ThrottlerGuard {
  protected async throwThrottlingException(_context: unknown, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, `too many requests; retry in ${detail.timeToBlockExpire} s`, detail.timeToBlockExpire);
  }
}
