import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvatarsModule } from '../avatars/avatars.module';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ImagesModule } from '../images/images.module';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { AvatarRerender } from './avatar-rerender.service';
import { AvatarsRerenderCommand } from './avatars-rerender.command';
import { FailedUploadRetry } from './failed-upload-retry.service';
import { MakeAdminCommand } from './make-admin.command';
import { StorageOrphansCommand } from './storage-orphans.command';
import { StorageOrphans } from './storage-orphans.service';
import { UserPurge } from './user-purge.service';
import { UploadsRetryFailedCommand } from './uploads-retry-failed.command';
import { UsersPurgeCommand } from './users-purge.command';

/**
 * The admin CLI (`src/cli.ts`): the same configuration, database, queues and storage as the API and workers. It
 * registers no queue processor, so it never consumes jobs.
 */
@Module({
  imports: [
    AppConfigModule,
    DatabaseModule,
    QueueModule,
    StorageModule,
    AvatarsModule,
    UsersModule,
    ImagesModule,
    TypeOrmModule.forFeature([User]),
  ],
  providers: [
    MakeAdminCommand,
    UsersPurgeCommand,
    UserPurge,
    StorageOrphansCommand,
    StorageOrphans,
    AvatarsRerenderCommand,
    AvatarRerender,
    UploadsRetryFailedCommand,
    FailedUploadRetry,
  ],
})
export class CliModule {}
