import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { redisAnswers } from './private-redis';
import { eventually, freePort } from './stack';

export const MASTER_NAME = 'e2e-master';

/** A private redis-server on a free loopback port, killed by PID; never the shared Redis. */
class RedisProcess {
  private readonly exited: Promise<void>;

  constructor(
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) => child.on('exit', () => done()));
  }

  kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * A master, one replica and three sentinels (quorum 2), all private and on free ports, for failover tests.
 * Sentinels run from `redis-server --sentinel` (what Debian's redis-sentinel package starts) with a short
 * down-after-milliseconds, so a killed master is replaced within a few seconds.
 */
export class SentinelRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'avatar-sentinel-'));
  master!: RedisProcess;
  replica!: RedisProcess;
  readonly sentinels: RedisProcess[] = [];

  async start(): Promise<this> {
    this.master = await this.startRedis([]);
    this.replica = await this.startRedis(['--replicaof', '127.0.0.1', String(this.master.port)]);
    await eventually(() => this.info(this.replica.port, 'replication'), (info) => /master_link_status:up/.test(info), 20_000);
    for (let i = 0; i < 3; i++) this.sentinels.push(await this.startSentinel(i));
    await eventually(() => this.info(this.sentinels[0].port, 'sentinel'), (info) => /slaves=1,sentinels=3/.test(info), 30_000);
    return this;
  }

  /** `sentinel://127.0.0.1:p1;sentinel://127.0.0.1:p2;…` with a database index, as BROKER_URL / RESULT_BACKEND. */
  url(db: number): string {
    return this.sentinels.map((sentinel) => `sentinel://127.0.0.1:${sentinel.port}/${db}`).join(';');
  }

  /** The port the sentinels currently name as master. */
  async masterPort(): Promise<number> {
    const redis = new Redis({ port: this.sentinels[0].port, host: '127.0.0.1', lazyConnect: true });
    try {
      await redis.connect();
      const [, port] = (await redis.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      redis.disconnect();
    }
  }

  async destroy(): Promise<void> {
    await Promise.all([this.master, this.replica, ...this.sentinels].filter(Boolean).map((process) => process.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startRedis(extra: string[]): Promise<RedisProcess> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extra],
      { stdio: 'ignore' },
    );
    const redis = new RedisProcess(port, child);
    await eventually(() => redisAnswers(port), (ok) => ok, 10_000);
    return redis;
  }

  private async startSentinel(index: number): Promise<RedisProcess> {
    const port = await freePort();
    const config = join(this.dir, `sentinel-${index}.conf`);
    // Sentinel rewrites its configuration file, so each one gets its own.
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${this.master.port} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    const sentinel = new RedisProcess(port, child);
    await eventually(() => redisAnswers(port), (ok) => ok, 10_000);
    return sentinel;
  }

  private async info(port: number, section: string): Promise<string> {
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    try {
      await redis.connect();
      return await redis.info(section);
    } finally {
      redis.disconnect();
    }
  }
}
