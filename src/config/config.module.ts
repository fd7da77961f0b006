import { ConfigModule } from '@nestjs/config';
import { appConfig } from './app.config';
import { avatarConfig } from './avatar.config';
import { databaseConfig } from './database.config';
import { observabilityConfig } from './observability.config';
import { queueConfig } from './queue.config';
import { securityConfig } from './security.config';
import { storageConfig } from './storage.config';
import { validateEnv } from './env.validation';

export const AppConfigModule = ConfigModule.forRoot({
  isGlobal: true,
  cache: true,
  load: [appConfig, avatarConfig, databaseConfig, queueConfig, storageConfig, observabilityConfig, securityConfig],
  validate: validateOrExit,
});

/**
 * A bad configuration stops the process with the message alone: it names every bad variable, and the stack trace
 * Nest would print under it only buries it.
 */
function validateOrExit(raw: Record<string, unknown>): Record<string, unknown> {
  try {
    return validateEnv(raw);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
