import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { avatarConfig } from '../../config/avatar.config';
import { UploadIdleTimeoutMiddleware } from '../../http/upload-idle-timeout.middleware';
import { GrantedUploadStorage } from './granted-upload-storage';
import { LocalStorageDriver } from './local.storage-driver';
import { LocalStorageModule } from './local-storage.module';
import { LocalUploadController } from './local-upload.controller';
import { StaticController } from './static.controller';

/**
 * The local driver's routes (/static, /storage/local/upload): API only, and only when STORAGE_DRIVER=local
 * (AppModule registers it through ConditionalModule), so with Qiniu these paths are plain 404s.
 */
@Module({
  imports: [
    LocalStorageModule,
    MulterModule.registerAsync({
      imports: [LocalStorageModule],
      inject: [LocalStorageDriver, avatarConfig.KEY],
      useFactory: (driver: LocalStorageDriver, avatar: ConfigType<typeof avatarConfig>) => ({
        storage: new GrantedUploadStorage(driver, avatar.maxJpegScans),
        limits: { fileSize: avatar.maxBytes, files: 1, fields: 5 },
      }),
    }),
  ],
  controllers: [StaticController, LocalUploadController],
})
export class LocalStorageHttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadIdleTimeoutMiddleware).forRoutes({ path: 'storage/local/upload', method: RequestMethod.POST });
  }
}
