import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bull';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { within } from '../health/within';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';

export type Stage = 'decode' | 'encode' | 'store' | 'commit';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * What this process reports to Prometheus, in a registry of its own (not prom-client's global one). The API and
 * every worker have one; HTTP metrics move only in the API, job and stage metrics only in workers.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly uploadsAccepted = new Counter({
    name: 'avatar_uploads_accepted_total',
    help: 'Uploads answered 202, by source (server: multipart to the API, direct: confirmed direct upload)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly uploadsRefused = new Counter({
    name: 'avatar_uploads_refused_total',
    help: 'Uploads refused, by source and reason (from the HTTP status: too_large, unsupported_media_type, ...)',
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'avatar_upload_bytes_received_total',
    help: 'Bytes of server-side uploads streamed into the staging folder',
    registers: [this.registry],
  });
  readonly bytesStored = new Counter({
    name: 'avatar_bytes_stored_total',
    help: 'Bytes of rendered images written to storage',
    registers: [this.registry],
  });
  readonly jobsCompleted = new Counter({
    name: 'avatar_jobs_completed_total',
    help: 'Jobs this worker completed',
    labelNames: ['queue', 'name'],
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'avatar_jobs_failed_total',
    help: 'Jobs this worker failed for good (no retry follows)',
    labelNames: ['queue', 'name'],
    registers: [this.registry],
  });
  readonly jobsRetried = new Counter({
    name: 'avatar_jobs_retried_total',
    help: 'Failed attempts this worker ran that will be retried',
    labelNames: ['queue', 'name'],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'avatar_job_duration_seconds',
    help: 'Time from a job starting on this worker to its end, by outcome (completed | failed)',
    labelNames: ['queue', 'name', 'outcome'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly stageDuration = new Histogram({
    name: 'avatar_job_stage_duration_seconds',
    help: 'Time an upload job spends in each stage: decode, encode, store, commit',
    labelNames: ['stage'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'API requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: SECONDS,
    registers: [this.registry],
  });

  constructor(
    @InjectQueue(AVATAR_QUEUE) avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) maintenanceQueue: Queue,
  ) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'avatar_queue_jobs',
      help: 'Jobs per queue and state, read from the broker at each scrape (absent when the broker does not answer in 1 s)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of [avatarQueue, maintenanceQueue]) {
          const counts = await within(1000, queue.getJobCounts()).catch(() => null);
          for (const state of JOB_STATES) if (counts) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }

  /** Starts timing one stage of an upload job; call the returned function when the stage ends. */
  stageTimer(stage: Stage): () => void {
    const end = this.stageDuration.startTimer({ stage });
    return () => void end();
  }

  /** The Prometheus text exposition of everything above. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
