import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { storageConfig } from '../config/storage.config';
import { LocalStorageDriver } from './local.storage-driver';
import { QiniuStorageDriver } from './qiniu.storage-driver';
import { StaticController } from './static.controller';
import { STORAGE_DRIVER, StorageDriver } from './storage-driver';

@Module({
  providers: [
    {
      provide: STORAGE_DRIVER,
      inject: [storageConfig.KEY],
      useFactory: (config: ConfigType<typeof storageConfig>): StorageDriver =>
        config.driver === 'qiniu' ? new QiniuStorageDriver(config.qiniu) : new LocalStorageDriver(config.local),
    },
  ],
  controllers: [StaticController],
  exports: [STORAGE_DRIVER],
})
export class StorageModule {}
