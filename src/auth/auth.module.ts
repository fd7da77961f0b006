import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { ThrottlingModule } from '../throttling/throttling.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AdminGuard } from './admin.guard';
import { AdminSessions } from './admin-sessions';
import { JwtGuard } from './jwt.guard';
import { PasswordHasher } from './password-hasher';

@Global()
@Module({
  imports: [
    UsersModule,
    ThrottlingModule,
    JwtModule.registerAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        // A KeyObject: jsonwebtoken would otherwise re-parse a string secret on every verification.
        secret: createSecretKey(Buffer.from(config.jwtSecret)),
        signOptions: { algorithm: 'HS256', expiresIn: config.jwtExpiresInSec },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtGuard, AdminGuard, AdminSessions, PasswordHasher],
  // UsersModule too: JwtGuard, used on other modules' controllers, needs UsersService there.
  exports: [JwtGuard, JwtModule, AuthService, AdminGuard, AdminSessions, UsersModule],
})
export class AuthModule {}
