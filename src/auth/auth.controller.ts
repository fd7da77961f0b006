import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { CredentialsDto } from './dto/credentials.dto';
import { PublicUserDto } from '../users/dto/public-user.dto';
import { ApiErrors } from '../docs/api-errors';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account. 409 when the username is taken. */
  @Post('register')
  @ApiErrors(400, 409, 429)
  register(@Body() body: CredentialsDto): Promise<Pick<PublicUserDto, 'id' | 'username'>> {
    return this.auth.register(body.username, body.password);
  }

  /** Exchanges credentials for a bearer token. */
  @Post('login')
  @ApiErrors(400, 401, 429)
  @HttpCode(200)
  login(@Body() body: CredentialsDto): Promise<AccessTokenDto> {
    return this.auth.login(body.username, body.password);
  }
}
