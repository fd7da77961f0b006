import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { CookieOptions } from 'express';
import { createHmac } from 'node:crypto';
import { appConfig } from '../config/app.config';

export const ADMIN_SESSION_COOKIE = 'admin_session';

/**
 * Admin browser sessions: a short-lived JWT in an HttpOnly, SameSite=Strict cookie, so the queue dashboard works in a
 * browser without a token ever appearing in a URL. It is signed with a key derived from JWT_SECRET for this purpose
 * alone: an access token is never a valid session, nor a session cookie a valid bearer token.
 */
@Injectable()
export class AdminSessions {
  private readonly secret: string;

  constructor(
    private readonly jwt: JwtService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {
    this.secret = createHmac('sha256', config.jwtSecret).update('admin-session').digest('base64');
  }

  issue(userId: number): Promise<string> {
    return this.jwt.signAsync({ sub: userId }, { secret: this.secret, expiresIn: this.config.adminSessionTtlSec });
  }

  /** The user id the session belongs to; 401 when it is forged or expired. */
  async verify(session: string): Promise<number> {
    try {
      const { sub } = await this.jwt.verifyAsync<{ sub: number }>(session, { secret: this.secret, algorithms: ['HS256'] });
      if (!Number.isInteger(sub)) throw new Error('no subject');
      return sub;
    } catch {
      throw new UnauthorizedException('invalid or expired admin session; log in again at /admin/login');
    }
  }

  cookieOptions(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.apiBaseUrl.startsWith('https:'),
      path: '/',
      maxAge: this.config.adminSessionTtlSec * 1000,
    };
  }
}
