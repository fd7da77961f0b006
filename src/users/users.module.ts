import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageModule } from '../storage/storage.module';
import { User } from './user.entity';
import { UsersService } from './users.service';

/** Users and their avatar columns, for both processes; the routes are in UsersHttpModule (API only). */
@Module({
  imports: [TypeOrmModule.forFeature([User]), StorageModule],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
