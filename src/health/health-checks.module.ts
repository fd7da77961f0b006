import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { DependencyChecks } from './dependency-checks';

/** The dependency checks both processes answer readiness probes with. */
@Module({
  imports: [TerminusModule, QueueModule, StorageModule],
  providers: [DependencyChecks],
  exports: [DependencyChecks, TerminusModule],
})
export class HealthChecksModule {}
