import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { UsersService } from '../users/users.service';
import { ADMIN_SESSION_COOKIE, AdminSessions } from './admin-sessions';
import { AuthenticatedRequest, JwtGuard } from './jwt.guard';

/**
 * Admin-only routes: an admin's bearer token or admin session cookie. 401 without either (or with a bad one), 403
 * for a valid user who is not an admin. The role is read from MySQL on every request, so a demotion takes effect at once.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly bearer: JwtGuard,
    private readonly sessions: AdminSessions,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.userId = await this.adminIdOf(request);
    return true;
  }

  /** A bearer token wins over the cookie when both are sent. */
  async adminIdOf(request: AuthenticatedRequest): Promise<number> {
    const session = (request.cookies as Record<string, string> | undefined)?.[ADMIN_SESSION_COOKIE];
    const userId =
      request.headers.authorization || !session ? await this.bearer.userIdOf(request) : await this.sessions.verify(session);
    await this.requireAdmin(userId);
    return userId;
  }

  async requireAdmin(userId: number): Promise<void> {
    const role = await this.users.roleOf(userId);
    if (role === null) throw new UnauthorizedException('the account no longer exists');
    if (role !== 'admin') throw new ForbiddenException('this needs the admin role');
  }
}
