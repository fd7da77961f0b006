import { Logger } from '@nestjs/common';
import Redis, { Cluster } from 'ioredis';

/**
 * Gives a Redis connection an error listener (ioredis prints "[ioredis] Unhandled error event" with a stack for every
 * failed reconnect otherwise) that logs once per outage, and logs when the connection is back. ioredis reconnects
 * by itself; nothing else is needed for that.
 */
export function watchConnection(redis: Redis | Cluster, label: string, logger: Logger): void {
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`${label} unreachable (${error.message}); reconnecting`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`${label} reachable again`);
  });
}

/**
 * After the first connection, commands sent while the connection is down fail at once instead of waiting in ioredis'
 * offline queue until Redis returns (the hang behind slow 503s and health checks). Before it, they wait, so start-up
 * does not race the first connect.
 */
export function failFastOnceConnected(redis: Redis | Cluster): void {
  redis.once('ready', () => {
    (redis.options as { enableOfflineQueue?: boolean }).enableOfflineQueue = false;
  });
}

const UNREACHABLE = [
  "Stream isn't writeable",
  'Command timed out',
  'Connection is closed',
  'Reached the max retries per request limit',
  'All sentinels are unreachable',
];

/** True for ioredis errors meaning "Redis cannot be reached right now" (as opposed to a command Redis refused). */
export function isRedisUnavailable(error: unknown): boolean {
  const message = (error as Error | null)?.message ?? '';
  return UNREACHABLE.some((text) => message.includes(text)) || (error as Error | null)?.name === 'MaxRetriesPerRequestError';
}
