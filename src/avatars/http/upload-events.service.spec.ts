import { MessageEvent } from '@nestjs/common';
import { ResultBackend } from '../../queue/result-backend';
import { AvatarUploadsService } from './avatar-uploads.service';
import { UploadStatusDto } from './dto/upload-status.dto';
import { UploadEventsService } from './upload-events.service';

/** The upload row as the API would read it, changed by the test the way a worker would change it. */
class FakeUploads {
  state: Pick<UploadStatusDto, 'status' | 'progress' | 'jobId'> & { error?: string } = { status: 'queued', progress: 0, jobId: 'upload-1' };
  async status(_userId: number, uploadId: string) {
    return { uploadId, attempts: 0, createdAt: new Date(0), ...this.state } as UploadStatusDto;
  }
}

/** Pub/sub on the result backend, in memory: `publish` calls whoever watches the job. */
class FakeResults {
  readonly watchers = new Map<string, Set<() => void>>();
  async watch(jobId: string, listener: () => void) {
    const listeners = this.watchers.get(jobId) ?? new Set();
    this.watchers.set(jobId, listeners.add(listener));
    return () => listeners.delete(listener);
  }
  publish(jobId: string) {
    this.watchers.get(jobId)?.forEach((listener) => listener());
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe(UploadEventsService.name, () => {
  let uploads: FakeUploads;
  let results: FakeResults;
  let service: UploadEventsService;

  beforeEach(() => {
    uploads = new FakeUploads();
    results = new FakeResults();
    service = new UploadEventsService(uploads as unknown as AvatarUploadsService, results as unknown as ResultBackend);
  });

  async function follow() {
    const events: unknown[] = [];
    let completed = false;
    const subscription = (await service.follow(7, 'u1')).subscribe({
      next: (event: MessageEvent) => events.push(event.data),
      complete: () => (completed = true),
    });
    await settle();
    return { events, subscription, isCompleted: () => completed };
  }

  it('sends the current state, then every change a worker publishes, and ends after done', async () => {
    const stream = await follow();
    uploads.state = { status: 'processing', progress: 40, jobId: 'upload-1' };
    results.publish('upload-1');
    await settle();
    results.publish('upload-1'); // nothing moved: no event
    await settle();
    uploads.state = { status: 'done', progress: 100, jobId: 'upload-1' };
    results.publish('upload-1');
    await settle();
    expect(stream.events).toEqual([
      { uploadId: 'u1', status: 'queued', progress: 0 },
      { uploadId: 'u1', status: 'processing', progress: 40 },
      { uploadId: 'u1', status: 'done', progress: 100 },
    ]);
    expect(stream.isCompleted()).toBe(true);
    expect(results.watchers.get('upload-1')?.size).toBe(0);
  });

  it('follows the fresh job of an upload that was enqueued again', async () => {
    const stream = await follow();
    uploads.state = { status: 'queued', progress: 0, jobId: 'upload-1-again', error: 'the worker was lost' };
    results.publish('upload-1');
    await settle();
    expect(results.watchers.get('upload-1')?.size).toBe(0);
    uploads.state = { status: 'failed', progress: 10, jobId: 'upload-1-again', error: 'corrupt or truncated image' };
    results.publish('upload-1-again');
    await settle();
    expect(stream.events.at(-1)).toEqual({ uploadId: 'u1', status: 'failed', progress: 10, error: 'corrupt or truncated image' });
    expect(stream.isCompleted()).toBe(true);
  });

  it('answers an upload that already finished with one event and ends, watching nothing', async () => {
    uploads.state = { status: 'done', progress: 100, jobId: 'upload-1' };
    const stream = await follow();
    expect(stream.events).toEqual([{ uploadId: 'u1', status: 'done', progress: 100 }]);
    expect(stream.isCompleted()).toBe(true);
    expect(results.watchers.size).toBe(0);
  });

  it('ends open streams when the application shuts down', async () => {
    const stream = await follow();
    service.beforeApplicationShutdown();
    expect(stream.isCompleted()).toBe(true);
    expect(results.watchers.get('upload-1')?.size).toBe(0);
  });
});
