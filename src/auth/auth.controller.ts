import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { CredentialsDto } from './dto/credentials.dto';
import { PublicUserDto } from '../users/dto/public-user.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account. 409 when the username is taken. */
  @Post('register')
  register(@Body() body: CredentialsDto): Promise<Pick<PublicUserDto, 'id' | 'username'>> {
    return this.auth.register(body.username, body.password);
  }

  /** Exchanges credentials for a bearer token. */
  @Post('login')
  @HttpCode(200)
  login(@Body() body: CredentialsDto): Promise<AccessTokenDto> {
    return this.auth.login(body.username, body.password);
  }
}
