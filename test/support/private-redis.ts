import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { eventually, freePort } from './stack';

/** A throwaway redis-server on a free loopback port, for tests that take Redis away. Stopped by PID, never by name. */
export class PrivateRedis {
  private child?: ChildProcess;
  // Made at spawn: a wait begun after the child has exited (a second stop, say) must not wait for an event already past.
  private exited: Promise<void> = Promise.resolve();
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const child = this.child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    await eventually(() => redisAnswers(this.port), (ok) => ok, 10_000);
    return this;
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** FLUSHALL: what a Redis that lost its data, or an operator's mistake, leaves behind. */
  async flushAll(): Promise<void> {
    const redis = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
  }
}

/** Whether a redis-server (or sentinel) on this loopback port answers PING, without retrying or queueing. */
export async function redisAnswers(port: number): Promise<boolean> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
