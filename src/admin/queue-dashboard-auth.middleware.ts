import { Injectable, NestMiddleware, UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { AdminGuard } from '../auth/admin.guard';
import { AuthenticatedRequest } from '../auth/jwt.guard';

/**
 * bull-board mounts a plain Express router, out of reach of Nest guards: this middleware, which bull-board applies
 * in front of its router, does what AdminGuard does. A browser opening the dashboard without a session is sent to the
 * login form; API calls get the JSON error.
 */
@Injectable()
export class QueueDashboardAuth implements NestMiddleware {
  constructor(private readonly admins: AdminGuard) {}

  async use(request: AuthenticatedRequest, response: Response, next: NextFunction): Promise<void> {
    try {
      request.userId = await this.admins.adminIdOf(request);
    } catch (error) {
      if (error instanceof UnauthorizedException && request.method === 'GET' && request.accepts(['json', 'html']) === 'html') {
        return response.redirect(303, '/admin/login');
      }
      throw error;
    }
    next();
  }
}
