import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { observabilityConfig } from '../config/observability.config';

/**
 * API only: on SIGTERM, readiness turns 503 at once while requests are still served for SHUTDOWN_DRAIN_MS, so a load
 * balancer stops sending traffic before the server stops accepting connections.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  draining = false;

  constructor(@Inject(observabilityConfig.KEY) private readonly config: ConfigType<typeof observabilityConfig>) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    if (this.config.shutdownDrainMs > 0) await sleep(this.config.shutdownDrainMs);
  }
}
