import { ConflictException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { appConfig } from '../config/app.config';
import { UsersService } from '../users/users.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { hashPassword, verifyPassword } from './password-hasher';

// Compared against when the username is unknown, so a login takes as long whether or not the user exists.
const DECOY_HASH = 'scrypt$32768$8$3$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async register(username: string, password: string): Promise<{ id: number; username: string }> {
    const passwordHash = await hashPassword(password);
    const user = await this.users.create(username, passwordHash);
    if (!user) throw new ConflictException(`username "${username}" is taken`);
    return { id: user.id, username: user.username };
  }

  async login(username: string, password: string): Promise<AccessTokenDto> {
    const userId = await this.verifyCredentials(username, password);
    const accessToken = await this.jwt.signAsync({ sub: userId });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwtExpiresInSec };
  }

  /** The id of the user these credentials belong to; 401 otherwise. */
  async verifyCredentials(username: string, password: string): Promise<number> {
    const user = await this.users.findCredentials(username);
    const valid = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
    if (!user || !valid) throw new UnauthorizedException('invalid username or password');
    return user.id;
  }
}
