import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { CredentialsDto } from './dto/credentials.dto';
import { ThrottledPerIp } from '../throttling/throttling.module';
import { PublicUserDto } from '../users/dto/public-user.dto';
import { ApiErrors } from '../docs/api-errors';

@ApiTags('auth')
@ThrottledPerIp()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account. 409 when the username is taken; 429 over the per-IP budget; 503 when busy hashing. */
  @Post('register')
  @ApiErrors(400, 409, 429, 503)
  register(@Body() body: CredentialsDto): Promise<Pick<PublicUserDto, 'id' | 'username'>> {
    return this.auth.register(body.username, body.password);
  }

  /**
   * Exchanges credentials for a bearer token. 429 + Retry-After over the per-IP budget or while the username is
   * locked after repeated failures; 503 + Retry-After when the server is busy hashing other passwords.
   */
  @Post('login')
  @ApiErrors(400, 401, 429, 503)
  @HttpCode(200)
  login(@Body() body: CredentialsDto): Promise<AccessTokenDto> {
    return this.auth.login(body.username, body.password);
  }
}
