import { ConflictException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { appConfig } from '../config/app.config';
import { RetryLaterException } from '../http/retry-later.exception';
import { LoginBackoff } from '../throttling/login-backoff';
import { UsersService } from '../users/users.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { PasswordHasher } from './password-hasher';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly jwt: JwtService,
    private readonly passwords: PasswordHasher,
    private readonly backoff: LoginBackoff,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async register(username: string, password: string): Promise<{ id: number; username: string }> {
    const passwordHash = await this.passwords.hash(password);
    const user = await this.users.create(username, passwordHash);
    if (!user) throw new ConflictException(`username "${username}" is taken`);
    return { id: user.id, username: user.username };
  }

  async login(username: string, password: string): Promise<AccessTokenDto> {
    const userId = await this.verifyCredentials(username, password);
    const accessToken = await this.jwt.signAsync({ sub: userId });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwtExpiresInSec };
  }

  /**
   * The id of the user these credentials belong to; 401 otherwise. 429 while the username is locked after repeated
   * failures (checked before any hashing), 503 when this process is already computing its share of hashes.
   */
  async verifyCredentials(username: string, password: string): Promise<number> {
    const lockedSec = await this.backoff.lockedFor(username);
    if (lockedSec > 0) {
      throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, `too many failed logins for this username; retry in ${lockedSec} s`, lockedSec);
    }
    const user = await this.users.findCredentials(username);
    const valid = await this.passwords.verify(password, user?.passwordHash);
    if (!user || !valid) {
      await this.backoff.recordFailure(username);
      throw new UnauthorizedException('invalid username or password');
    }
    await this.backoff.recordSuccess(username);
    if (this.passwords.needsRehash(user.passwordHash)) await this.upgradeHash(user.id, password);
    return user.id;
  }

  /** Re-hashes a password stored with an older profile, when a hash slot is free; otherwise at a later login. */
  private async upgradeHash(userId: number, password: string): Promise<void> {
    try {
      await this.users.replacePasswordHash(userId, await this.passwords.hash(password));
    } catch (error) {
      if (!(error instanceof RetryLaterException)) throw error;
    }
  }
}
