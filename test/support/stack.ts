import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';

const DIST = resolve(__dirname, '../../dist');

/** One API process or worker process of a stack, with everything it printed. */
export class ServiceProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((done) => child.on('exit', (code) => done(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** A worker's listener for probes and metrics (WORKER_HTTP_PORT), as it logged it. */
  get probeUrl(): string {
    const url = /probes and metrics on (http:\/\/[\d.]+:\d+)/.exec(this.output)?.[1];
    if (!url) throw new Error(`no probe listener in the output:\n${this.output}`);
    return url;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (!this.running) throw new Error(`process exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${this.output}`);
      await sleep(50);
    }
  }

  /** SIGTERM, then the exit code (SIGKILL after the timeout, which fails the caller's expectations). */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL: a crash, with no chance to finish or clean up. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}

/** What a CLI command printed, and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Settings for the worker only (e.g. a different ACCEPT_CONTENT). */
  workerEnv?: Record<string, string>;
  workers?: number;
  /** A port chosen in advance, when a setting must name the API's own URL. */
  port?: number;
  /** API processes to start (each on its own port); 1 by default. */
  apis?: number;
  /** Each process gets its own STAGING_DIR and STORAGE_LOCAL_DIR (a deployment sharing no folder). */
  privateFolders?: boolean;
  /** A private MariaDB (test/support/private-mariadb.ts) instead of the shared one on 3306. */
  mysqlPort?: number;
}

/**
 * A private deployment for one spec file: its own MySQL database, Redis key prefix, staging and storage folders,
 * an API process and worker processes started from dist/. `destroy()` removes all of it.
 */
export class Stack {
  readonly api: ServiceProcess[] = [];
  /** Base URL of each API process, in the order of `api`. */
  readonly apiUrls: string[] = [];
  readonly workers: ServiceProcess[] = [];
  readonly id = randomBytes(4).toString('hex');
  readonly database = `avatar_e2e_${this.id}`;
  readonly prefix = `avatar-e2e-${this.id}`;
  readonly dir = mkdtempSync(join(tmpdir(), `avatar-e2e-${this.id}-`));
  readonly stagingDir = join(this.dir, 'staging');
  readonly storageDir = join(this.dir, 'storage');
  port = 0;
  env: Record<string, string> = {};

  constructor(private readonly options: StackOptions = {}) {}

  get mysqlPort(): number {
    return this.options.mysqlPort ?? 3306;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = this.options.port ?? (await freePort());
    this.env = {
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('hex'),
      PORT: String(this.port),
      API_BASE_URL: this.baseUrl,
      DATABASE_URL: `mysql://root@127.0.0.1:${this.mysqlPort}/${this.database}`,
      QUEUE_PREFIX: this.prefix,
      STAGING_DIR: this.stagingDir,
      STORAGE_LOCAL_DIR: this.storageDir,
      TASK_RETRY_BACKOFF_MS: '200',
      AVATAR_DELETE_GRACE_SEC: '1',
      ...this.options.env,
    };
    await this.startApi();
    for (let i = 1; i < (this.options.apis ?? 1); i++) {
      const port = await freePort();
      await this.startApi({ PORT: String(port), API_BASE_URL: `http://127.0.0.1:${port}` });
    }
    const quiet = /^(warn|error|fatal)$/i.test(this.env.WORKER_LOG_LEVEL ?? '');
    for (let i = 0; i < (this.options.workers ?? 1); i++) await this.startWorker({}, quiet);
    return this;
  }

  async startApi(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const api = this.spawn('main', env);
    this.api.push(api);
    this.apiUrls.push(env.API_BASE_URL ?? this.baseUrl);
    await api.waitFor(/listening on/);
    return api;
  }

  /** `quiet` for a worker whose log level hides its ready line: then wait until Bull's consumer connection is up. */
  async startWorker(env: Record<string, string> = {}, quiet = false): Promise<ServiceProcess> {
    const worker = this.spawn('worker', { ...this.options.workerEnv, ...env });
    this.workers.push(worker);
    if (!quiet) await worker.waitFor(/worker \d+ ready/);
    else await eventually(() => this.consumerCount(), (n) => n > 0, 20_000);
    return worker;
  }

  /** Bull names each worker's blocking connection after the queue; CLIENT LIST shows them. */
  consumerCount(): Promise<number> {
    return this.brokerConnectionsNamed(`${this.prefix}:${Buffer.from('avatars').toString('base64')}`);
  }

  /** Broker connections whose name marks them as opened by this process. */
  brokerConnectionsOf(pid: number): Promise<number> {
    return this.brokerConnectionsNamed(`${this.prefix}:${pid}`);
  }

  private async brokerConnectionsNamed(name: string): Promise<number> {
    const redis = new Redis(this.env.BROKER_URL ?? 'redis://127.0.0.1:6379/0');
    try {
      return ((await redis.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name} `)).length;
    } finally {
      redis.disconnect();
    }
  }

  spawn(entry: 'main' | 'worker', env: Record<string, string> = {}): ServiceProcess {
    if (this.options.privateFolders) env = { ...this.privateFolders(entry), ...env };
    const child = spawn(process.execPath, [join(DIST, `${entry}.js`)], {
      // Started in the stack's own folder, so a developer's .env in the checkout never reaches the processes under test.
      cwd: this.dir,
      // Workers' probe listeners take any free port (they log it: see ServiceProcess.probeUrl), so several can run.
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...(entry === 'worker' ? { WORKER_HTTP_PORT: '0' } : {}), ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child);
  }

  /** `<stack dir>/<main|worker>-<n>/{staging,storage}`: folders no other process of the stack sees. */
  private privateFolders(entry: 'main' | 'worker'): Record<string, string> {
    const own = join(this.dir, `${entry}-${entry === 'main' ? this.api.length : this.workers.length}`);
    return { STAGING_DIR: join(own, 'staging'), STORAGE_LOCAL_DIR: join(own, 'storage') };
  }

  /** Runs `node dist/cli <args>` against this stack's database, Redis and folders, as an operator would. */
  cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, [join(DIST, 'cli.js'), ...args], {
        cwd: this.dir,
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...this.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', fail);
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }

  /** Every Redis key of this stack, in the broker and result databases it uses. */
  async redisKeys(url = 'redis://127.0.0.1:6379/0'): Promise<string[]> {
    const redis = new Redis(url);
    try {
      return await redis.keys(`${this.prefix}:*`);
    } finally {
      redis.disconnect();
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const connection = await createConnection({ host: '127.0.0.1', port: this.mysqlPort, user: 'root', database: this.database });
    try {
      const [rows] = await connection.query(sql, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  async destroy(): Promise<void> {
    try {
      await Promise.all([...this.api, ...this.workers].map((p) => p.stop()));
      const connection = await createConnection({ host: '127.0.0.1', port: this.mysqlPort, user: 'root' });
      await connection.query(`DROP DATABASE IF EXISTS \`${this.database}\``);
      await connection.end();
      for (const db of new Set([0, 1, ...redisDbs(this.env)])) {
        const redis = new Redis(`redis://127.0.0.1:6379/${db}`);
        const keys = await redis.keys(`${this.prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function redisDbs(env: Record<string, string>): number[] {
  // A private Redis (e.g. behind Sentinel) goes away with its test; only URLs of the shared one are cleaned here.
  return [env.BROKER_URL, env.RESULT_BACKEND]
    .filter((url) => url?.startsWith('redis://127.0.0.1:6379'))
    .map((url) => Number(new URL(url).pathname.slice(1) || 0));
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls until `check` returns a value that `until` accepts. */
export async function eventually<T>(check: () => Promise<T>, until: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}
