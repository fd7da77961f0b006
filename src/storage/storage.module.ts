import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { diskStorage } from 'multer';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { avatarConfig } from '../config/avatar.config';
import { storageConfig } from '../config/storage.config';
import { LocalStorageDriver } from './local.storage-driver';
import { LocalUploadController } from './local-upload.controller';
import { QiniuStorageDriver } from './qiniu.storage-driver';
import { StaticController } from './static.controller';
import { STORAGE_DRIVER, StorageDriver } from './storage-driver';

@Module({
  imports: [
    MulterModule.registerAsync({
      inject: [storageConfig.KEY, avatarConfig.KEY],
      useFactory: (storage: ConfigType<typeof storageConfig>, avatar: ConfigType<typeof avatarConfig>) => {
        // Inside the storage root, so an accepted direct upload is renamed into place, never copied.
        const destination = join(storage.local.root, '.incoming');
        if (storage.driver === 'local') mkdirSync(destination, { recursive: true });
        return { storage: diskStorage({ destination }), limits: { fileSize: avatar.maxBytes, files: 1, fields: 5 } };
      },
    }),
  ],
  providers: [
    {
      provide: STORAGE_DRIVER,
      inject: [storageConfig.KEY],
      useFactory: (config: ConfigType<typeof storageConfig>): StorageDriver =>
        config.driver === 'qiniu' ? new QiniuStorageDriver(config.qiniu) : new LocalStorageDriver(config.local),
    },
  ],
  controllers: [StaticController, LocalUploadController],
  exports: [STORAGE_DRIVER],
})
export class StorageModule {}
