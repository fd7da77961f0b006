import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with the seconds after which trying again makes sense; `RetryAfterFilter` sends them as `Retry-After`. */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(HttpException.createBody(message, 'Too Many Requests', HttpStatus.TOO_MANY_REQUESTS), HttpStatus.TOO_MANY_REQUESTS);
  }
}
