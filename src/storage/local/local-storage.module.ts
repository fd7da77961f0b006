import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { storageConfig } from '../../config/storage.config';
import { StorageDriver } from '../storage-driver';
import { LocalStorageDriver } from './local.storage-driver';

/** The local driver, for both processes; StorageModule registers it only when STORAGE_DRIVER=local. */
@Module({
  providers: [
    {
      provide: LocalStorageDriver,
      inject: [storageConfig.KEY],
      useFactory: (config: ConfigType<typeof storageConfig>) => new LocalStorageDriver(config.local),
    },
    { provide: StorageDriver, useExisting: LocalStorageDriver },
  ],
  exports: [LocalStorageDriver, StorageDriver],
})
export class LocalStorageModule {}
