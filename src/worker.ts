import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { appConfig } from './config/app.config';
import { queueConfig } from './config/queue.config';
import { workerSettings } from './config/worker-settings';
import { closeOnSignals } from './shutdown';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: new ConsoleLogger('Worker', { logLevels: workerSettings.logLevels }),
  });
  closeOnSignals(app, app.get<ConfigType<typeof appConfig>>(appConfig.KEY).shutdownTimeoutMs);
  const queue = app.get<ConfigType<typeof queueConfig>>(queueConfig.KEY);
  new Logger('Worker').log(
    `worker ${process.pid} ready: concurrency ${workerSettings.concurrency}, rate limit ` +
      `${queue.rateLimit ? `${queue.rateLimit.max} per ${queue.rateLimit.duration} ms` : 'none'}, accepts ${queue.acceptContent.join(',')}`,
  );
  new Logger('Worker').debug(`log levels: ${workerSettings.logLevels.join(',')}`);
}
void bootstrap();
