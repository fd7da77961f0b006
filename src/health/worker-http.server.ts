import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthCheckService } from '@nestjs/terminus';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { observabilityConfig } from '../config/observability.config';
import { Metrics } from '../metrics/metrics';
import { metricsAccessAllowed } from '../metrics/metrics-token';
import { DependencyChecks, NOT_READY } from './dependency-checks';

/**
 * Worker only: a plain node:http listener on WORKER_HTTP_PORT (no Nest HTTP app in the worker) for
 * `/health/live`, `/health/ready` (MySQL, broker, result backend, storage; 503 while shutting down) and `/metrics`.
 */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHttpServer.name);
  private stopping = false;
  private readonly server: Server = createServer((req, res) =>
    this.answer(req, res).catch((error: Error) => {
      this.logger.error(`${req.url} failed: ${error.message}`);
      if (!res.headersSent) send(res, 500, { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' });
      else res.destroy();
    }),
  );

  constructor(
    @Inject(observabilityConfig.KEY) private readonly config: ConfigType<typeof observabilityConfig>,
    private readonly metrics: Metrics,
    private readonly health: HealthCheckService,
    private readonly checks: DependencyChecks,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { workerHttpHost: host, workerHttpPort: port } = this.config;
    await new Promise<void>((listening, fail) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        fail(new Error(`WORKER_HTTP_PORT: cannot listen on ${host}:${port} (${error.code ?? error.message})`)),
      );
      this.server.listen(port, host, () => listening());
    });
    const { port: actual } = this.server.address() as AddressInfo;
    this.logger.log(`probes and metrics on http://${host}:${actual} (/health/live, /health/ready, /metrics)`);
  }

  /** The first shutdown hook Nest runs: from here on readiness is 503, while the queues drain. */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  /** Last of all, so probes see 503 and scrapes still work while active jobs finish. */
  async onApplicationShutdown(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((closed) => this.server.close(closed));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    if (req.method !== 'GET') return send(res, 405, { statusCode: 405, message: `${req.method} is not allowed`, error: 'Method Not Allowed' });
    switch (path) {
      case '/health/live':
        return send(res, 200, { status: 'ok' });
      case '/health':
      case '/health/ready':
        if (this.stopping) return send(res, 503, NOT_READY);
        return this.health.check(this.checks.all()).then(
          () => send(res, 200, { status: 'ok' }),
          () => send(res, 503, NOT_READY),
        );
      case '/metrics':
        if (!metricsAccessAllowed(req.headers.authorization, this.config.metricsToken)) {
          return send(res, 401, { statusCode: 401, message: 'send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"', error: 'Unauthorized' });
        }
        res.writeHead(200, { 'content-type': this.metrics.contentType }).end(await this.metrics.scrape());
        return;
      default:
        return send(res, 404, { statusCode: 404, message: `Cannot GET ${path}`, error: 'Not Found' });
    }
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
