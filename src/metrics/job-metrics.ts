import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { Metrics } from './metrics';

// Bull has Job#isDiscarded, but its type definitions leave it out.
const isDiscarded = (job: Job): boolean => (job as Job & { isDiscarded(): boolean }).isDiscarded();

/** Worker only: counts and times the jobs this process runs, from Bull's local events (no processor changes). */
@Injectable()
export class JobMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
  ) {}

  onModuleInit(): void {
    for (const queue of [this.avatarQueue, this.maintenanceQueue]) {
      queue.on('completed', (job: Job) => {
        this.metrics.jobsCompleted.inc(this.labels(queue, job));
        this.observeDuration(queue, job, 'completed');
      });
      queue.on('failed', (job: Job) => {
        const willRetry = !isDiscarded(job) && job.attemptsMade < (job.opts.attempts ?? 1);
        (willRetry ? this.metrics.jobsRetried : this.metrics.jobsFailed).inc(this.labels(queue, job));
        this.observeDuration(queue, job, 'failed');
      });
    }
  }

  private labels(queue: Queue, job: Job) {
    return { queue: queue.name, name: job.name };
  }

  private observeDuration(queue: Queue, job: Job, outcome: 'completed' | 'failed'): void {
    if (!job.processedOn) return;
    const seconds = ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000;
    this.metrics.jobDuration.observe({ ...this.labels(queue, job), outcome }, seconds);
  }
}
