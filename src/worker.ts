import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { appConfig } from './config/app.config';
import { queueConfig } from './config/queue.config';
import { closeOnSignals } from './shutdown';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  // Logs are held until the validated config says which levels WORKER_LOG_LEVEL enables, then go through that logger.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  const queue = app.get<ConfigType<typeof queueConfig>>(queueConfig.KEY);
  app.useLogger(new ConsoleLogger('Worker', { logLevels: queue.workerLogLevels }));
  closeOnSignals(app, app.get<ConfigType<typeof appConfig>>(appConfig.KEY).shutdownTimeoutMs);
  new Logger('Worker').log(
    `worker ${process.pid} ready: concurrency ${queue.workerConcurrency}, rate limit ` +
      `${queue.rateLimit ? `${queue.rateLimit.max} per ${queue.rateLimit.duration} ms` : 'none'}, accepts ${queue.acceptContent.join(',')}`,
  );
  new Logger('Worker').debug(`log levels: ${queue.workerLogLevels.join(',')}`);
}
void bootstrap();
