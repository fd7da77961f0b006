import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConditionalModule, ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { avatarConfig } from '../../config/avatar.config';
import { usesStorageDriver } from '../../config/storage.config';
import { Metrics } from '../../metrics/metrics';
import { QueueModule } from '../../queue/queue.module';
import { StorageDriver } from '../../storage/storage-driver';
import { StorageModule } from '../../storage/storage.module';
import { AvatarsModule } from '../avatars.module';
import { UsersModule } from '../../users/users.module';
import { AvatarRemovalService } from './avatar-removal.service';
import { AvatarUploadsService } from './avatar-uploads.service';
import { AvatarsController } from './avatars.controller';
import { DirectUploadsService } from './direct-uploads.service';
import { JobsController } from './jobs.controller';
import { QiniuCallbackController } from './qiniu-callback.controller';
import { UploadIdleTimeoutMiddleware } from '../../http/upload-idle-timeout.middleware';
import { DiskStagingSink, StagingStorage, StoreStagingSink } from './staging-storage';
import { UploadAdmissionModule } from './upload-admission.module';
import { UploadEventsService } from './upload-events.service';

/** The API's upload services, in a module of their own so that the conditional callback module can share them. */
@Module({
  imports: [AvatarsModule, QueueModule, StorageModule],
  providers: [AvatarUploadsService, DirectUploadsService],
  exports: [AvatarUploadsService, DirectUploadsService],
})
class AvatarUploadServicesModule {}

/** Qiniu's upload callback route, which exists only with STORAGE_DRIVER=qiniu. */
@Module({ imports: [AvatarUploadServicesModule], controllers: [QiniuCallbackController] })
class QiniuCallbackModule {}

/** The HTTP side of avatars: uploads staged by multer, direct-upload tokens and confirms, job status. AppModule only. */
@Module({
  imports: [
    AvatarUploadServicesModule,
    QueueModule,
    UsersModule,
    UploadAdmissionModule,
    MulterModule.registerAsync({
      imports: [StorageModule],
      inject: [avatarConfig.KEY, Metrics, StorageDriver],
      useFactory: (config: ConfigType<typeof avatarConfig>, metrics: Metrics, storage: StorageDriver) => ({
        storage: new StagingStorage(
          config.staging === 'storage' ? new StoreStagingSink(storage, config.maxBytes) : new DiskStagingSink(config.stagingDir),
          config.maxJpegScans,
          (bytes) => metrics.bytesReceived.inc(bytes),
        ),
        limits: { fileSize: config.maxBytes, files: 1, fields: 10, parts: 11 },
      }),
    }),
    ConditionalModule.registerWhen(QiniuCallbackModule, usesStorageDriver('qiniu'), { debug: false }),
  ],
  controllers: [AvatarsController, JobsController],
  providers: [AvatarRemovalService, UploadEventsService],
})
export class AvatarsHttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadIdleTimeoutMiddleware).forRoutes({ path: 'users/me/avatar', method: RequestMethod.POST });
  }
}
