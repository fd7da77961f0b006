import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Store, storage } from 'nestjs-pino/storage';

/**
 * Worker side of the request id: every line logged while a job runs (through Nest's Logger, anywhere) carries the
 * job's fields, the way pino-http's middleware does for a request in the API.
 */
@Injectable()
export class JobLogContext {
  constructor(private readonly pino: PinoLogger) {}

  run<T>(fields: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
    const bindings = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    return storage.run(new Store(this.pino.logger.child(bindings)), work);
  }
}
