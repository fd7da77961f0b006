import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-target';

// After a failover the old master may come back as a replica: reconnect (asking Sentinel again) instead of failing writes.
const reconnectOnReadOnly = (error: Error): 2 | false => (error.message.startsWith('READONLY') ? 2 : false);
// Sentinel needs a few seconds to promote a replica; retry quickly and steadily rather than with a long exponential wait.
const retryDuringFailover = (attempt: number): number => Math.min(attempt * 200, 2000);

/**
 * Opens one connection to a broker or result-backend Redis, whatever its form: a URL, a master found through Sentinel
 * (ioredis asks the sentinels again on every reconnect, so a failover needs no restart), or a cluster.
 * ioredis' `failoverDetector` is left off on purpose: a +switch-master message that arrives while the client is
 * already reconnecting aborts that attempt and leaves the client ended for good (ioredis 5.x).
 */
export function connectRedis(target: RedisTarget, options: RedisOptions): Redis | Cluster {
  switch (target.mode) {
    case 'standalone':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        username: target.master.username,
        password: target.master.password,
        sentinelUsername: target.sentinel.username,
        sentinelPassword: target.sentinel.password,
        retryStrategy: retryDuringFailover,
        sentinelRetryStrategy: retryDuringFailover,
        reconnectOnError: reconnectOnReadOnly,
      });
    case 'cluster': {
      const { host: _host, port: _port, db: _db, retryStrategy: _retry, ...perNode } = options;
      return new Cluster(target.nodes, {
        redisOptions: {
          ...perNode,
          username: target.credentials.username,
          password: target.credentials.password,
          ...(target.tls ? { tls: {} } : {}),
        },
        clusterRetryStrategy: retryDuringFailover,
        enableReadyCheck: options.enableReadyCheck,
        lazyConnect: options.lazyConnect,
      });
    }
  }
}

/**
 * A connection for SUBSCRIBE. With a cluster it is a plain connection to the first listed node: classic pub/sub
 * messages reach every node of a cluster, and ioredis' cluster subscriber runs a ready check (INFO) on a connection
 * already in subscriber mode, which throws out of the process (seen against a real 3-node cluster, ioredis 5.x).
 */
export function connectRedisSubscriber(target: RedisTarget, options: RedisOptions): Redis | Cluster {
  if (target.mode !== 'cluster') return connectRedis(target, options);
  const [node] = target.nodes;
  return new Redis({
    ...options,
    host: node.host,
    port: node.port,
    db: 0,
    username: target.credentials.username,
    password: target.credentials.password,
    enableReadyCheck: false,
    ...(target.tls ? { tls: {} } : {}),
  });
}
