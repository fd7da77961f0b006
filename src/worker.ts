import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoBackedLogger } from 'nestjs-pino';
import { appConfig } from './config/app.config';
import { observabilityConfig } from './config/observability.config';
import { queueConfig } from './config/queue.config';
import { closeOnSignals } from './shutdown';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  // Logs are held until the validated config has set up pino at WORKER_LOG_LEVEL, then go through it.
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(PinoBackedLogger));
  const queue = app.get<ConfigType<typeof queueConfig>>(queueConfig.KEY);
  closeOnSignals(app, app.get<ConfigType<typeof appConfig>>(appConfig.KEY).shutdownTimeoutMs);
  new Logger('Worker').log(
    `worker ${process.pid} ready: concurrency ${queue.workerConcurrency}, rate limit ` +
      `${queue.rateLimit ? `${queue.rateLimit.max} per ${queue.rateLimit.duration} ms` : 'none'}, accepts ${queue.acceptContent.join(',')}`,
  );
  new Logger('Worker').debug(`log level: ${app.get<ConfigType<typeof observabilityConfig>>(observabilityConfig.KEY).workerLogLevel}`);
}
void bootstrap();
