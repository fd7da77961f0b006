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
