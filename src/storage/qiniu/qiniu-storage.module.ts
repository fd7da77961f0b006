import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { storageConfig } from '../../config/storage.config';
import { StorageDriver } from '../storage-driver';
import { QiniuStorageDriver } from './qiniu.storage-driver';

/** The Qiniu Kodo driver, for both processes; StorageModule registers it only when STORAGE_DRIVER=qiniu. */
@Module({
  providers: [
    {
      provide: QiniuStorageDriver,
      inject: [storageConfig.KEY],
      useFactory: (config: ConfigType<typeof storageConfig>) => new QiniuStorageDriver(config.qiniu),
    },
    { provide: StorageDriver, useExisting: QiniuStorageDriver },
  ],
  exports: [QiniuStorageDriver, StorageDriver],
})
export class QiniuStorageModule {}
