import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { isRedisUnavailable } from '../queue/connection-watch';
import { StorageUnavailableError } from '../storage/storage.errors';

/** Seconds a client is asked to wait before trying again when a dependency is down or the service is full. */
export const RETRY_AFTER_SEC = 5;

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Turns "cannot right now" into answers a client can act on: MySQL, Redis or the object store unreachable → 503, staging disk full → 507, both
 * with `Retry-After` (as every other 503 gets, e.g. the queue being unavailable), in Nest's usual JSON error shape,
 * instead of a 500. Everything else goes to Nest's default handling.
 */
@Catch()
export class UnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(UnavailableFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const answer = this.translate(exception);
    if (answer instanceof HttpException && [HttpStatus.SERVICE_UNAVAILABLE, HttpStatus.INSUFFICIENT_STORAGE].includes(answer.getStatus())) {
      const response = host.switchToHttp().getResponse<Response>();
      // A RetryLaterException names its own wait (RetryLaterFilter sets it when it is the filter Nest picks).
      const retryAfterSec = (answer as { retryAfterSec?: number }).retryAfterSec ?? RETRY_AFTER_SEC;
      if (!response.headersSent && !response.getHeader('retry-after')) response.setHeader('Retry-After', String(retryAfterSec));
    }
    super.catch(answer, host);
  }

  private translate(exception: unknown): unknown {
    if (isDatabaseUnavailable(exception) || isRedisUnavailable(exception) || exception instanceof StorageUnavailableError) {
      this.logger.warn(`dependency unavailable: ${(exception as Error).message}`);
      return new ServiceUnavailableException('the service is temporarily unavailable; try again shortly');
    }
    if (DISK_FULL.has((exception as NodeJS.ErrnoException)?.code ?? '')) {
      this.logger.error(`staging disk full: ${(exception as Error).message}`);
      const status = HttpStatus.INSUFFICIENT_STORAGE;
      const message = 'the server has no room for uploads right now; try again later';
      return new HttpException({ statusCode: status, message, error: 'Insufficient Storage' }, status);
    }
    return exception;
  }
}
