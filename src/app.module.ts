import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { AvatarsModule } from './avatars/avatars.module';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { QueueModule } from './queue/queue.module';
import { StorageModule } from './storage/storage.module';
import { UsersModule } from './users/users.module';

/** The HTTP API. It enqueues jobs but registers no processor, so it never consumes them. */
@Module({
  imports: [AppConfigModule, DatabaseModule, QueueModule, StorageModule, AuthModule, UsersModule, AvatarsModule, HealthModule],
})
export class AppModule {}
