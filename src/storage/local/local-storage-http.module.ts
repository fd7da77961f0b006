import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { diskStorage } from 'multer';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { avatarConfig } from '../../config/avatar.config';
import { storageConfig } from '../../config/storage.config';
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
      inject: [storageConfig.KEY, avatarConfig.KEY],
      useFactory: (storage: ConfigType<typeof storageConfig>, avatar: ConfigType<typeof avatarConfig>) => {
        // Inside the storage root, so an accepted direct upload is renamed into place, never copied.
        const destination = join(storage.local.root, '.incoming');
        mkdirSync(destination, { recursive: true });
        return { storage: diskStorage({ destination }), limits: { fileSize: avatar.maxBytes, files: 1, fields: 5 } };
      },
    }),
  ],
  controllers: [StaticController, LocalUploadController],
})
export class LocalStorageHttpModule {}
