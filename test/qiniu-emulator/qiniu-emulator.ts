import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { objectList } from './admin';
import type { Faults } from './faults';
import { createRequestListener } from './server';
import { BucketSpec, EmulatorObject, EmulatorState, RequestRecord } from './state';

export interface QiniuEmulatorOptions {
  accessKey: string;
  secretKey: string;
  buckets: Array<string | BucketSpec>;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Bucket served by `GET /<key>` (default: the first); any bucket is also at `GET /_bucket/<name>/<key>`. */
  downloadBucket?: string;
}

/** An in-memory Qiniu Kodo (up, rs, rsf, fusion, bucket-domain downloads) on one plain-http port. */
export class QiniuEmulator {
  private readonly state: EmulatorState;
  private server?: Server;
  /** TCP connections accepted so far: shows whether clients reuse them. */
  connectionsAccepted = 0;

  constructor(private readonly options: QiniuEmulatorOptions) {
    this.state = new EmulatorState(options.accessKey, options.secretKey, options.buckets, options.downloadBucket);
  }

  async start(): Promise<{ port: number; host: string }> {
    const server = createServer(createRequestListener(this.state));
    // Node's default, and shorter than Qiniu's: a client agent that keeps connections alive can reuse them here.
    server.keepAliveTimeout = 5000;
    server.on('connection', () => (this.connectionsAccepted += 1));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve);
    });
    this.server = server;
    return { port: this.port, host: this.host };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** `host:port`, the form the SDK's Endpoint and the driver's *Host options take. */
  get hostPort(): string {
    return `${this.host}:${this.port}`;
  }

  get faults(): Faults {
    return this.state.faults;
  }

  /** CDN refreshes received so far. */
  get refreshed(): { urls: string[]; dirs: string[] } {
    return this.state.refreshed;
  }

  get prefetched(): string[] {
    return this.state.prefetched;
  }

  /** Every non-admin request answered, in order (service class, method, path, status). */
  get requests(): RequestRecord[] {
    return this.state.requests;
  }

  /** Seconds added to the emulator's clock (token deadlines, private URLs, X-Qiniu-Date skew). */
  get clockOffsetSec(): number {
    return this.state.clockOffsetSec;
  }

  set clockOffsetSec(offset: number) {
    this.state.clockOffsetSec = offset;
  }

  objects(bucket: string) {
    return objectList(this.state, bucket);
  }

  /** The stored object including its bytes, or undefined. */
  object(bucket: string, key: string): EmulatorObject | undefined {
    return this.state.bucket(bucket).get(key);
  }

  reset(): void {
    this.state.reset();
  }
}
