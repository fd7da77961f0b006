import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { UsersService } from '../users/users.service';

export interface AuthenticatedRequest extends Request {
  userId: number;
}

/** A user id as our tokens carry it: a positive integer, as a JSON number or a string of digits. */
function userIdFrom(sub: unknown): number | null {
  const id = typeof sub === 'string' && /^[1-9][0-9]{0,15}$/.test(sub) ? Number(sub) : sub;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Lets a request through with a valid bearer token: HS256 only (the module pins it), with an expiry and an
 * integer subject that is still a user. Everything else is 401.
 */
@Injectable()
export class JwtGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.userId = await this.userIdOf(request);
    return true;
  }

  /** The user behind the request's bearer token (the header only: never a token in a URL); 401 otherwise. */
  async userIdOf(request: Request): Promise<number> {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException('missing bearer token');
    let payload: { sub?: unknown; exp?: unknown };
    try {
      payload = await this.jwt.verifyAsync<{ sub?: unknown; exp?: unknown }>(token);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    const userId = userIdFrom(payload.sub);
    if (typeof payload.exp !== 'number' || userId === null) throw new UnauthorizedException('invalid or expired token');
    if (!(await this.users.exists(userId))) throw new UnauthorizedException('this account no longer exists');
    return userId;
  }
}
