import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { appConfig } from '../config/app.config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AdminGuard } from './admin.guard';
import { AdminSessions } from './admin-sessions';
import { JwtGuard } from './jwt.guard';

@Global()
@Module({
  imports: [
    UsersModule,
    JwtModule.registerAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        secret: config.jwtSecret,
        signOptions: { expiresIn: config.jwtExpiresInSec },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtGuard, AdminGuard, AdminSessions],
  exports: [JwtGuard, JwtModule, AuthService, AdminGuard, AdminSessions],
})
export class AuthModule {}
