import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { AvatarsModule } from './avatars/avatars.module';
import { MaintenanceProcessor } from './avatars/maintenance.processor';
import { QueueDrain } from './avatars/queue-drain';
import { UploadAvatarProcessor } from './avatars/upload-avatar.processor';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { QueueModule } from './queue/queue.module';
import { StorageModule } from './storage/storage.module';
import { UsersModule } from './users/users.module';

/** The worker: the same feature modules plus the queue consumers, and no HTTP listener. */
@Module({
  imports: [AppConfigModule, DatabaseModule, QueueModule, StorageModule, AuthModule, UsersModule, AvatarsModule],
  providers: [UploadAvatarProcessor, MaintenanceProcessor, QueueDrain],
})
export class WorkerModule {}
