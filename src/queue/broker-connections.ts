import { Logger } from '@nestjs/common';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-target';
import { failFastOnceConnected, watchConnection } from './connection-watch';
import { connectRedis, connectRedisSubscriber } from './redis-connection';

/**
 * Opens the broker connections of one process and refuses to go past BROKER_POOL_LIMIT.
 * Bull asks for a `client` and a `subscriber` per queue (shared here by every queue of the process) and one
 * blocking `bclient` per queue that a worker processes; nothing opens connections per request. With a cluster each
 * one is a cluster client, which opens one connection per node it talks to.
 */
export class BrokerConnections {
  private readonly logger = new Logger('Broker');
  private shared = new Map<'client' | 'subscriber', Redis | Cluster>();
  private readonly opened: (Redis | Cluster)[] = [];
  private throttlingConnection?: Redis | Cluster;

  constructor(
    private readonly target: RedisTarget,
    private readonly limit: number,
    private readonly connectionName: string,
    /** BROKER_TIMEOUT_MS: bounds connecting and every command of the `client` connection. */
    private readonly timeoutMs: number,
  ) {}

  create(type: 'client' | 'subscriber' | 'bclient', redisOpts?: RedisOptions): Redis | Cluster {
    if (type !== 'bclient') {
      const existing = this.shared.get(type);
      if (existing) return existing;
    }
    this.reserve();
    const connection = (type === 'subscriber' ? connectRedisSubscriber : connectRedis)(this.target, {
      ...redisOpts,
      connectionName: this.connectionName,
      connectTimeout: this.timeoutMs,
      // Bull's blocking and subscriber connections must not time out or give up on queued commands.
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      // The client connection carries requests' commands (enqueue, counts): they must fail within the timeout.
      ...(type === 'client' ? { commandTimeout: this.timeoutMs } : {}),
    });
    watchConnection(connection, `broker (${type})`, this.logger);
    if (type === 'client') failFastOnceConnected(connection);
    this.opened.push(connection);
    if (type !== 'bclient') this.shared.set(type, connection);
    return connection;
  }

  /**
   * The API's connection for request budgets and the login backoff (see ThrottlingModule): one per process,
   * shared by all of them, counted against the limit like Bull's. Like the `client` connection, its commands fail
   * within BROKER_TIMEOUT_MS, so a lost Redis fails a login rather than hanging it.
   */
  throttling(keyPrefix: string): Redis | Cluster {
    if (!this.throttlingConnection) {
      this.reserve();
      this.throttlingConnection = connectRedis(this.target, {
        connectionName: this.connectionName,
        keyPrefix,
        connectTimeout: this.timeoutMs,
        commandTimeout: this.timeoutMs,
        maxRetriesPerRequest: 2,
      });
      watchConnection(this.throttlingConnection, 'broker (throttling)', this.logger);
      failFastOnceConnected(this.throttlingConnection);
      this.opened.push(this.throttlingConnection);
    }
    return this.throttlingConnection;
  }

  private reserve(): void {
    if (this.opened.length >= this.limit) {
      throw new Error(
        `BROKER_POOL_LIMIT=${this.limit} is too low: this process needs more broker connections (one client, ` +
          'one subscriber, one blocking connection per processed queue, and in the API one for throttling)',
      );
    }
  }

  /** False while the broker is known to be unreachable: a request can be refused at once. */
  get reachable(): boolean {
    const client = this.shared.get('client');
    return !client || client.status === 'ready';
  }

  get count(): number {
    return this.opened.length;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
