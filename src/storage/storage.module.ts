import { Module } from '@nestjs/common';
import { ConditionalModule } from '@nestjs/config';
import { usesStorageDriver } from '../config/storage.config';
import { LocalStorageModule } from './local/local-storage.module';
import { QiniuStorageModule } from './qiniu/qiniu-storage.module';

/**
 * Provides `StorageDriver` to both processes. The driver is chosen once, at start-up, from the validated
 * STORAGE_DRIVER: ConditionalModule registers exactly one of the driver modules, and this module re-exports it.
 */
@Module({
  imports: [
    ConditionalModule.registerWhen(LocalStorageModule, usesStorageDriver('local'), { debug: false }),
    ConditionalModule.registerWhen(QiniuStorageModule, usesStorageDriver('qiniu'), { debug: false }),
  ],
  // A registered ConditionalModule exports the module it registered: exporting them exports the chosen driver.
  exports: [ConditionalModule],
})
export class StorageModule {}
