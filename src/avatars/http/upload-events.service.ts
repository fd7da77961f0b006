import { BeforeApplicationShutdown, Injectable, MessageEvent } from '@nestjs/common';
import { Observable, Subscriber } from 'rxjs';
import { ResultBackend } from '../../queue/result-backend';
import { AvatarUploadsService } from './avatar-uploads.service';
import { UploadEventDto, UploadStatusDto } from './dto/upload-status.dto';

/** Without news, a stream still re-reads the upload this often: pub/sub drops messages while Redis reconnects. */
const RECHECK_MS = 5_000;

/**
 * Live status of one upload as Server-Sent Events. Every change of a job's record in the result backend is also
 * published there; whichever API replica holds the stream hears it and re-reads the upload (MySQL stays the
 * authority), sending an event when status or progress moved. The stream ends itself once the upload is done or failed.
 */
@Injectable()
export class UploadEventsService implements BeforeApplicationShutdown {
  private readonly open = new Set<Subscriber<MessageEvent>>();

  constructor(
    private readonly uploads: AvatarUploadsService,
    private readonly results: ResultBackend,
  ) {}

  /** Rejects (404) before the stream starts when the upload is not the caller's. */
  async follow(userId: number, uploadId: string): Promise<Observable<MessageEvent>> {
    const first = await this.uploads.status(userId, uploadId);
    return new Observable<MessageEvent>((subscriber) => {
      this.open.add(subscriber);
      let sent = '';
      let reading = Promise.resolve();
      let watchedJobId: string | null = null;
      let stopWatching: (() => void) | undefined;
      const recheck = () => {
        reading = reading.then(() => this.uploads.status(userId, uploadId)).then(send, (error: Error) => subscriber.error(error));
      };
      // A re-driven upload gets a fresh job: follow whichever job the upload row names now.
      const watch = (jobId: string) => {
        stopWatching?.();
        stopWatching = undefined;
        watchedJobId = jobId;
        this.results.watch(jobId, recheck).then(
          (stop) => {
            if (subscriber.closed || watchedJobId !== jobId) return stop();
            stopWatching = stop;
            // Whatever changed before the subscription was in place is read now.
            recheck();
          },
          (error: Error) => subscriber.error(error),
        );
      };
      const send = (status: UploadStatusDto) => {
        const event = eventOf(status);
        if (JSON.stringify(event) !== sent) subscriber.next({ type: 'status', data: event });
        sent = JSON.stringify(event);
        if (status.status === 'done' || status.status === 'failed') return subscriber.complete();
        if (status.jobId && status.jobId !== watchedJobId && !subscriber.closed) watch(status.jobId);
      };
      const timer = setInterval(recheck, RECHECK_MS);
      send(first);
      return () => {
        this.open.delete(subscriber);
        clearInterval(timer);
        watchedJobId = null;
        stopWatching?.();
      };
    });
  }

  /** Open streams end before the HTTP server closes, which would otherwise wait for them; clients reconnect elsewhere. */
  beforeApplicationShutdown(): void {
    for (const subscriber of this.open) subscriber.complete();
  }
}

function eventOf(status: UploadStatusDto): UploadEventDto {
  return {
    uploadId: status.uploadId,
    status: status.status,
    progress: status.progress,
    ...(status.error ? { error: status.error } : {}),
    ...(status.avatarUrl ? { avatarUrl: status.avatarUrl } : {}),
  };
}
