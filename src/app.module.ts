import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConditionalModule } from '@nestjs/config';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { UnavailableFilter } from './availability/unavailable.filter';
import { AvatarsHttpModule } from './avatars/http/avatars-http.module';
import { AppConfigModule } from './config/config.module';
import { usesStorageDriver } from './config/storage.config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { ApiLoggingModule } from './logging/logging.module';
import { MetricsHttpModule } from './metrics/metrics-http.module';
import { QueueModule } from './queue/queue.module';
import { LocalStorageHttpModule } from './storage/local/local-storage-http.module';
import { StorageModule } from './storage/storage.module';
import { UsersHttpModule } from './users/http/users-http.module';
import { WebModule } from './web/web.module';

/**
 * The HTTP API: controllers, guards and multer live here only. It enqueues jobs but registers no processor, so it
 * never consumes them, and it loads neither sharp nor the worker's providers.
 */
@Module({
  imports: [
    AppConfigModule,
    ApiLoggingModule,
    DatabaseModule,
    QueueModule,
    StorageModule,
    AuthModule,
    UsersHttpModule,
    AvatarsHttpModule,
    ConditionalModule.registerWhen(LocalStorageHttpModule, usesStorageDriver('local'), { debug: false }),
    HealthModule,
    AdminModule,
    MetricsHttpModule,
    WebModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: UnavailableFilter }],
})
export class AppModule {}
