import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort, sleep } from './stack';

/**
 * A mariadbd of one spec's own: a fresh data directory, a free loopback port, root without a password. Tests stop and
 * start it (by its PID) to take the database away from the services, never touching the shared MariaDB.
 */
export class PrivateMariaDb {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly dir = mkdtempSync(join(tmpdir(), 'avatar-mariadb-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateMariaDb> {
    const db = new PrivateMariaDb(await freePort());
    await promisify(execFile)('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${join(db.dir, 'data')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--user=root',
    ]);
    await db.restart();
    return db;
  }

  url(database: string): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  async restart(): Promise<void> {
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        `--socket=${join(this.dir, 'sock')}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    const deadline = Date.now() + 30_000;
    while (!(await this.answers())) {
      if (Date.now() > deadline) throw new Error(`private mariadbd on port ${this.port} did not start`);
      await sleep(100);
    }
  }

  /** SIGTERM and wait: the server closes every connection and stops answering. */
  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGTERM');
    await this.exited;
    this.child = null;
  }

  async query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const connection = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database });
    try {
      const [rows] = await connection.query(sql, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  async destroy(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGKILL');
      await this.exited;
      this.child = null;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    try {
      const connection = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
      await connection.end();
      return true;
    } catch {
      return false;
    }
  }
}
