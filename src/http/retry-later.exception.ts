import { ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

const REASONS: Partial<Record<number, string>> = {
  [HttpStatus.TOO_MANY_REQUESTS]: 'Too Many Requests',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

/** A refusal the client may retry after a while: 429 or 503 with `Retry-After` (set by RetryLaterFilter). */
export class RetryLaterException extends HttpException {
  constructor(
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    message: string,
    readonly retryAfterSec: number,
  ) {
    super({ statusCode: status, message, error: REASONS[status] }, status);
  }
}

/** Adds `Retry-After` to a RetryLaterException's answer; Nest's own filter writes the body. */
@Catch(RetryLaterException)
export class RetryLaterFilter extends BaseExceptionFilter {
  catch(exception: RetryLaterException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterSec))));
    super.catch(exception, host);
  }
}
