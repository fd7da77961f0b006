import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { avatarConfig } from '../config/avatar.config';
import { ImagesModule } from '../images/images.module';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { UsersModule } from '../users/users.module';
import { AvatarMaintenanceService } from './avatar-maintenance.service';
import { AvatarProcessingService } from './avatar-processing.service';
import { AvatarUpload } from './avatar-upload.entity';
import { AvatarUploadsService } from './avatar-uploads.service';
import { AvatarsController } from './avatars.controller';
import { DirectUploadTicketRecord } from './direct-upload-ticket.entity';
import { DirectUploadsService } from './direct-uploads.service';
import { JobsController } from './jobs.controller';
import { QiniuCallbackController } from './qiniu-callback.controller';
import { StagingStorage } from './staging-storage';

/** Everything about avatars except the queue consumers, which only the worker root registers. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AvatarUpload, DirectUploadTicketRecord]),
    MulterModule.registerAsync({
      inject: [avatarConfig.KEY],
      useFactory: (config: ConfigType<typeof avatarConfig>) => ({
        storage: new StagingStorage(config.stagingDir),
        limits: { fileSize: config.maxBytes, files: 1, fields: 10, parts: 11 },
      }),
    }),
    QueueModule,
    StorageModule,
    UsersModule,
    ImagesModule,
  ],
  controllers: [AvatarsController, JobsController, QiniuCallbackController],
  providers: [AvatarUploadsService, DirectUploadsService, AvatarProcessingService, AvatarMaintenanceService],
  exports: [AvatarProcessingService, AvatarMaintenanceService],
})
export class AvatarsModule {}
