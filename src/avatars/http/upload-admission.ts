import { InjectQueue } from '@nestjs/bull';
import { HttpStatus, Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Queue } from 'bull';
import { Gauge } from 'prom-client';
import { avatarConfig } from '../../config/avatar.config';
import { queueConfig } from '../../config/queue.config';
import { RetryLaterException } from '../../http/retry-later.exception';
import { Metrics } from '../../metrics/metrics';
import { AVATAR_QUEUE } from '../../queue/queue.constants';

/** The admission numbers of this API process, for `/metrics` and `/health/details`. */
export interface AdmissionSnapshot {
  /** Upload requests this process is receiving right now. */
  inFlight: number;
  /** UPLOAD_MAX_INFLIGHT. */
  maxInFlight: number;
  /** Upload jobs waiting in the queue (all processes); null when the broker did not answer. */
  waiting: number | null;
  /** QUEUE_MAX_WAITING. */
  maxWaiting: number;
}

/** Seconds a refused client is asked to wait: admission frees up as fast as uploads finish. */
export const ADMISSION_RETRY_AFTER_SEC = 2;

const refuse = (message: string) => new RetryLaterException(HttpStatus.SERVICE_UNAVAILABLE, message, ADMISSION_RETRY_AFTER_SEC);

/**
 * Admission control (限流): at most UPLOAD_MAX_INFLIGHT upload requests stream into this process at once, and no new
 * upload is taken while QUEUE_MAX_WAITING jobs already wait, so a burst is shaved into 503 + Retry-After instead of
 * piling up in memory, on the staging disk or in an unbounded backlog.
 */
@Injectable()
export class UploadAdmission {
  private inFlight = 0;
  private waitingCount?: Promise<number>;

  constructor(
    @Inject(avatarConfig.KEY) private readonly avatar: ConfigType<typeof avatarConfig>,
    @Inject(queueConfig.KEY) private readonly queueSettings: ConfigType<typeof queueConfig>,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    @Optional() metrics?: Metrics,
  ) {
    if (metrics) this.exportTo(metrics);
  }

  /**
   * Takes a slot for one upload (`streaming`: the request brings the file itself) or refuses. Returns the release,
   * to call once when the request is over.
   */
  async admit(streaming: boolean): Promise<() => void> {
    if (streaming && this.inFlight >= this.avatar.maxInFlightUploads) {
      throw refuse('too many uploads are in progress; try again in a moment');
    }
    if (streaming) this.inFlight += 1;
    let released = false;
    const release = () => {
      if (released || !streaming) return;
      released = true;
      this.inFlight -= 1;
    };
    try {
      // A broker that does not answer is the enqueue's business (503 at once, with its own message).
      const waiting = await this.countWaiting().catch(() => 0);
      if (waiting >= this.queueSettings.maxWaiting) {
        throw refuse('the upload queue is full; try again in a moment');
      }
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** Admissions that arrive while a count is on its way share it: under a burst, one round trip serves them all. */
  private countWaiting(): Promise<number> {
    this.waitingCount ??= this.queue.getWaitingCount().finally(() => (this.waitingCount = undefined));
    return this.waitingCount;
  }

  async snapshot(): Promise<AdmissionSnapshot> {
    return {
      inFlight: this.inFlight,
      maxInFlight: this.avatar.maxInFlightUploads,
      waiting: await this.queue.getWaitingCount().catch(() => null),
      maxWaiting: this.queueSettings.maxWaiting,
    };
  }

  private exportTo(metrics: Metrics): void {
    const admission = this;
    new Gauge({
      name: 'avatar_upload_admission',
      help: 'Admission control of this API process: in_flight / max_in_flight uploads, queue waiting / max_waiting',
      labelNames: ['measure'],
      registers: [metrics.registry],
      async collect() {
        const snapshot = await admission.snapshot();
        this.set({ measure: 'in_flight' }, snapshot.inFlight);
        this.set({ measure: 'max_in_flight' }, snapshot.maxInFlight);
        if (snapshot.waiting !== null) this.set({ measure: 'waiting' }, snapshot.waiting);
        this.set({ measure: 'max_waiting' }, snapshot.maxWaiting);
      },
    });
  }
}
