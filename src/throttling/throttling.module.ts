import { applyDecorators, Module, UseGuards } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SkipThrottle, ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import type { AuthenticatedRequest } from '../auth/jwt.guard';
import { queueConfig } from '../config/queue.config';
import { securityConfig } from '../config/security.config';
import { BrokerConnections } from '../queue/broker-connections';
import { QueueModule } from '../queue/queue.module';
import { LoginBackoff } from './login-backoff';
import { RetryAfterThrottlerGuard } from './retry-after-throttler.guard';

const PER_IP = 'per-ip';
const PER_USER = 'per-user';

/** One budget per client IP for every route that carries it (all of /auth). */
export const ThrottledPerIp = () => applyDecorators(UseGuards(RetryAfterThrottlerGuard), SkipThrottle({ [PER_USER]: true }));

/** One budget per signed-in user for every route that carries it; place after the JwtGuard. */
export const ThrottledPerUser = () => applyDecorators(UseGuards(RetryAfterThrottlerGuard), SkipThrottle({ [PER_IP]: true }));

/**
 * Request budgets and the login backoff, counted in the broker Redis under `<QUEUE_PREFIX>:throttle:` so that
 * every API replica of a deployment shares them. They use one broker connection of their own (counted in BROKER_POOL_LIMIT).
 */
@Module({
  imports: [
    QueueModule,
    ThrottlerModule.forRootAsync({
      imports: [QueueModule],
      inject: [securityConfig.KEY, queueConfig.KEY, BrokerConnections],
      useFactory: (security: ConfigType<typeof securityConfig>, queue: ConfigType<typeof queueConfig>, connections: BrokerConnections) => ({
        // The storage takes a Cluster as well; its typings just have no overload for the union.
        storage: new ThrottlerStorageRedisService(connections.throttling(`${queue.prefix}:throttle:`) as Redis),
        throttlers: [
          { name: PER_IP, limit: security.authThrottle.limit, ttl: security.authThrottle.ttlSec * 1000 },
          {
            name: PER_USER,
            limit: security.uploadThrottle.limit,
            ttl: security.uploadThrottle.ttlSec * 1000,
            getTracker: (request: Record<string, unknown>) => `user-${(request as Partial<AuthenticatedRequest>).userId}`,
          },
        ],
        // One counter per tracker and budget, whichever route of the budget was called.
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        setHeaders: false,
      }),
    }),
  ],
  providers: [LoginBackoff],
  exports: [LoginBackoff],
})
export class ThrottlingModule {}
