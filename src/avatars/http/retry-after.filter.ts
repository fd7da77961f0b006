import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { TooManyRequestsException } from './too-many-requests.exception';

/** Answers a `TooManyRequestsException` as Nest answers any HTTP error, plus its `Retry-After` header. */
@Catch(TooManyRequestsException)
export class RetryAfterFilter extends BaseExceptionFilter {
  catch(exception: TooManyRequestsException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(exception.retryAfterSec));
    super.catch(exception, host);
  }
}
