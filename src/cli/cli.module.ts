import { Module } from '@nestjs/common';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { UsersModule } from '../users/users.module';
import { MakeAdminCommand } from './make-admin.command';

/** The admin CLI (`src/cli.ts`): the same configuration, database, queues and storage as the API and workers. */
@Module({
  imports: [AppConfigModule, DatabaseModule, UsersModule],
  providers: [MakeAdminCommand],
})
export class CliModule {}
