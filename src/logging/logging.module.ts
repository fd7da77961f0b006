import { Global, Module, RequestMethod } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { observabilityConfig } from '../config/observability.config';
import { httpLoggingOptions } from './http-logging';
import { JobLogContext } from './job-log-context';
import { createRootLogger } from './root-logger';

/**
 * The API's logger: pino behind Nest's Logger (main.ts calls `app.useLogger`), at LOG_LEVEL, with pino-http adding
 * a request id to every line of a request and one access line per response.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [observabilityConfig.KEY],
      useFactory: (config: ConfigType<typeof observabilityConfig>) => ({
        pinoHttp: httpLoggingOptions(createRootLogger(config.apiLogLevel, config.logFormat)),
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      }),
    }),
  ],
})
export class ApiLoggingModule {}

/** The worker's logger: the same pino setup at WORKER_LOG_LEVEL, and job-scoped fields through JobLogContext. */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [observabilityConfig.KEY],
      useFactory: (config: ConfigType<typeof observabilityConfig>) => ({
        pinoHttp: { logger: createRootLogger(config.workerLogLevel, config.logFormat) },
      }),
    }),
  ],
  providers: [JobLogContext],
  exports: [JobLogContext],
})
export class WorkerLoggingModule {}
