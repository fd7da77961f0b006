import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';

export interface AuthenticatedRequest extends Request {
  userId: number;
}

@Injectable()
export class JwtGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.userId = await this.userIdOf(request);
    return true;
  }

  /** The user behind the request's bearer token (the header only: never a token in a URL); 401 otherwise. */
  async userIdOf(request: Request): Promise<number> {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new UnauthorizedException('missing bearer token');
    try {
      const payload = await this.jwt.verifyAsync<{ sub: number }>(token);
      return Number(payload.sub);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
  }
}
