import { ConfigModule } from '@nestjs/config';
import { appConfig } from './app.config';
import { avatarConfig } from './avatar.config';
import { databaseConfig } from './database.config';
import { queueConfig } from './queue.config';
import { storageConfig } from './storage.config';
import { validateEnv } from './env.validation';

export const AppConfigModule = ConfigModule.forRoot({
  isGlobal: true,
  cache: true,
  load: [appConfig, avatarConfig, databaseConfig, queueConfig, storageConfig],
  validate: validateEnv,
});
