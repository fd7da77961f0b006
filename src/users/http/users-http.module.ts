import { Module } from '@nestjs/common';
import { UsersModule } from '../users.module';
import { UsersController } from './users.controller';

/** The /users routes. AppModule only. */
@Module({ imports: [UsersModule], controllers: [UsersController] })
export class UsersHttpModule {}
