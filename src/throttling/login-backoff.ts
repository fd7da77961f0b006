import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import { queueConfig } from '../config/queue.config';
import { securityConfig } from '../config/security.config';
import { BrokerConnections } from '../queue/broker-connections';

/**
 * Failed logins per username, in the broker Redis so every API replica sees them. After
 * AUTH_LOGIN_FREE_FAILURES failures in a row the username is locked for AUTH_LOCKOUT_BASE_SEC, and each further
 * failure doubles the lock (up to AUTH_LOCKOUT_MAX_SEC); a successful login forgets them. A locked username is
 * refused before its password is hashed, whoever asks, so guessing costs the attacker time and the server nothing.
 */
@Injectable()
export class LoginBackoff {
  private readonly redis: Redis | Cluster;

  constructor(
    connections: BrokerConnections,
    @Inject(queueConfig.KEY) queue: ConfigType<typeof queueConfig>,
    @Inject(securityConfig.KEY) private readonly config: ConfigType<typeof securityConfig>,
  ) {
    this.redis = connections.throttling(`${queue.prefix}:throttle:`);
  }

  /** Seconds until this username may try again; 0 when it may now. */
  async lockedFor(username: string): Promise<number> {
    const ms = await this.redis.pttl(this.lockKey(username));
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  async recordFailure(username: string): Promise<void> {
    const { freeFailures, baseSec, maxSec } = this.config.loginLockout;
    const [[, failures]] = (await this.redis
      .multi()
      .incr(this.failuresKey(username))
      .expire(this.failuresKey(username), FAILURE_MEMORY_SEC)
      .exec())! as [[Error | null, number]];
    if (failures < freeFailures) return;
    const lockSec = Math.min(maxSec, baseSec * 2 ** (failures - freeFailures));
    await this.redis.set(this.lockKey(username), '1', 'EX', lockSec);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.redis.del(this.failuresKey(username), this.lockKey(username));
  }

  private failuresKey(username: string): string {
    return `login-failures:${username.toLowerCase()}`;
  }

  private lockKey(username: string): string {
    return `login-locked:${username.toLowerCase()}`;
  }
}

// A run of failures is forgotten a day after the last one.
const FAILURE_MEMORY_SEC = 24 * 3600;
