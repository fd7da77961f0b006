import { Body, Controller, Delete, Get, Header, HttpCode, HttpException, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminGuard } from '../auth/admin.guard';
import { ADMIN_SESSION_COOKIE, AdminSessions } from '../auth/admin-sessions';
import { AuthService } from '../auth/auth.service';
import { AuthenticatedRequest, JwtGuard } from '../auth/jwt.guard';
import { AdminLoginDto } from './dto/admin-login.dto';
import { loginPage } from './login-page';
import { ApiErrors } from '../docs/api-errors';
import { RetryLaterException } from '../http/retry-later.exception';
import { ThrottledPerIp } from '../throttling/throttling.module';

const DASHBOARD = '/admin/queues';

@ApiTags('admin')
@Controller('admin')
export class AdminSessionController {
  constructor(
    private readonly auth: AuthService,
    private readonly bearer: JwtGuard,
    private readonly admins: AdminGuard,
    private readonly sessions: AdminSessions,
  ) {}

  /** The login form of the queue dashboard (HTML). */
  @Get('login')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  loginForm(): string {
    return loginPage();
  }

  /**
   * Opens an admin session: sets a short-lived HttpOnly, SameSite=Strict cookie (`ADMIN_SESSION_TTL_SEC`). Send
   * `{username, password}` (JSON, or the login form, which is then redirected to the dashboard), or nothing but an
   * admin's `Authorization: Bearer` token. 204; 401 bad credentials or token; 403 not an admin. Password logins share
   * /auth's per-IP budget, the per-username backoff and the hash cap (429 / 503 + Retry-After).
   */
  @Post('session')
  @ThrottledPerIp()
  @ApiErrors(400, 401, 403, 429, 503)
  @ApiBearerAuth()
  async open(@Req() request: AuthenticatedRequest, @Res() response: Response, @Body() login: AdminLoginDto): Promise<void> {
    const fromForm = Boolean(request.is('application/x-www-form-urlencoded'));
    try {
      const userId =
        login.username !== undefined
          ? await this.auth.verifyCredentials(login.username, login.password!)
          : await this.bearer.userIdOf(request);
      await this.admins.requireAdmin(userId);
      response.cookie(ADMIN_SESSION_COOKIE, await this.sessions.issue(userId), this.sessions.cookieOptions());
    } catch (error) {
      // The form gets its page back with the reason, and the status code (and Retry-After) all the same.
      if (fromForm && error instanceof HttpException) {
        if (error instanceof RetryLaterException) response.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSec))));
        response.status(error.getStatus()).type('html').send(loginPage(error.message));
        return;
      }
      throw error;
    }
    if (fromForm) response.redirect(303, DASHBOARD);
    else response.status(204).end();
  }

  /** Ends the admin session (clears the cookie). */
  @Delete('session')
  @HttpCode(204)
  close(@Res({ passthrough: true }) response: Response): void {
    response.clearCookie(ADMIN_SESSION_COOKIE, { ...this.sessions.cookieOptions(), maxAge: undefined });
  }

  /** The dashboard's "Log out" link: clears the cookie and shows the login form. */
  @Get('logout')
  logout(@Res() response: Response): void {
    response.clearCookie(ADMIN_SESSION_COOKIE, { ...this.sessions.cookieOptions(), maxAge: undefined });
    response.redirect(303, '/admin/login');
  }
}
