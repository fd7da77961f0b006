import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorFunction, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Queue } from 'bull';
import { AVATAR_QUEUE } from '../queue/queue.constants';
import { ResultBackend } from '../queue/result-backend';
import { StorageDriver } from '../storage/storage-driver';
import { within } from './within';

/** Each check answers within this, even when its dependency hangs, so a probe never times out. */
export const CHECK_TIMEOUT_MS = 1000;

/** The body of every failed readiness probe: nothing about which dependency failed or why (that goes to the log). */
export const NOT_READY = { statusCode: 503, message: 'not ready', error: 'Service Unavailable', status: 'error' } as const;

/** What a process needs to do its work: MySQL, the broker Redis, the result-backend Redis and the object store. */
@Injectable()
export class DependencyChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    private readonly results: ResultBackend,
    private readonly storage: StorageDriver,
  ) {}

  all(): HealthIndicatorFunction[] {
    return [
      () => this.database.pingCheck('mysql', { timeout: CHECK_TIMEOUT_MS }),
      () => this.probe('broker', () => this.queue.client.ping()),
      () => this.probe('resultBackend', () => this.results.ping()),
      () => this.probe('storage', () => this.storage.probe()),
    ];
  }

  private async probe(key: string, check: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    try {
      await within(CHECK_TIMEOUT_MS, check());
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
