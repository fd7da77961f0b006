/** What a worker's heartbeat key holds. */
export interface WorkerBeat {
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  startedAt: string;
  beatAt?: string;
}

export const HEARTBEAT_INTERVAL_MS = 5000;
/** Three missed beats and a worker no longer counts. */
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;

export const heartbeatKey = (prefix: string, worker: string): string => `${prefix}:workers:${worker}`;

/**
 * A sorted set of worker ids scored by when their beat expires, so readers find live workers without SCAN (which walks
 * the whole keyspace, and on a cluster only one node's). Its keys share the prefix's hash tag, hence one slot.
 */
export const heartbeatIndexKey = (prefix: string): string => `${prefix}:workers`;
