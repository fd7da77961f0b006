import { resolve } from 'node:path';
import { ApiClient } from './support/client';
import { eventually, freePort, Stack } from './support/stack';

const SAMPLE = resolve(__dirname, '../docs/sample-avatar.jpg');

interface StatusEvent {
  uploadId: string;
  status: string;
  progress: number;
  avatarUrl?: string;
  error?: string;
}

/** Reads a Server-Sent Events response the way the page does (fetch, bearer header), until the server ends it. */
function follow(baseUrl: string, token: string, uploadId: string) {
  const events: StatusEvent[] = [];
  const names: string[] = [];
  const done = (async () => {
    const response = await fetch(`${baseUrl}/users/me/avatar/uploads/${uploadId}/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((line) => line.startsWith('data: '));
        if (!data) continue;
        names.push(lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message');
        events.push(JSON.parse(data.slice(6)));
      }
    }
  })();
  return { events, names, done };
}

describe('live upload status (Server-Sent Events through Redis, API replicas and a worker as separate processes)', () => {
  // No worker at first, so the stream is seen waiting before any work starts.
  const stack = new Stack({ workers: 0, env: { AVATAR_FORMATS: 'webp,avif' } });
  let secondApi: string;

  beforeAll(async () => {
    await stack.start();
    const port = await freePort();
    await stack.startApi({ PORT: String(port) });
    secondApi = `http://127.0.0.1:${port}`;
  });
  afterAll(() => stack.destroy());

  it('streams queued, processing with progress, then done from another replica than the one that took the upload, and ends', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const accepted = await client.upload(SAMPLE);
    expect(accepted.status).toBe(202);
    const stream = follow(secondApi, client.token, accepted.body.uploadId);
    await eventually(async () => stream.events.length, (n) => n > 0, 20_000);
    expect(stream.events[0]).toEqual({ uploadId: accepted.body.uploadId, status: 'queued', progress: 0 });

    await stack.startWorker();
    await stream.done;
    const statuses = stream.events.map((event) => event.status);
    expect(new Set(stream.names)).toEqual(new Set(['status']));
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('done');
    expect(statuses).toContain('processing');
    const processing = stream.events.filter((event) => event.status === 'processing').map((event) => event.progress);
    expect(processing.some((progress) => progress > 0 && progress < 100)).toBe(true);
    const progress = stream.events.map((event) => event.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const final = await client.request('GET', accepted.body.statusUrl);
    expect(stream.events.at(-1)).toEqual({ uploadId: accepted.body.uploadId, status: 'done', progress: 100, avatarUrl: final.body.avatarUrl });
    expect(final.body).toMatchObject({ status: 'done', progress: 100 });
  });

  it('sends the final state at once, then ends, for an upload that already finished', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const failed = await client.uploadAndSettle(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]));
    expect(failed.status).toBe('failed');
    const stream = follow(stack.baseUrl, client.token, failed.uploadId);
    await stream.done;
    expect(stream.events).toEqual([{ uploadId: failed.uploadId, status: 'failed', progress: expect.any(Number), error: 'corrupt or truncated image' }]);
  });

  it('ends the streams still open when an API shuts down, so that it exits cleanly (0) instead of timing out', async () => {
    await Promise.all(stack.workers.map((worker) => worker.stop()));
    const port = await freePort();
    const leaving = await stack.startApi({ PORT: String(port) });
    const client = await new ApiClient(stack.baseUrl).signUp();
    const accepted = await client.upload(SAMPLE);
    const stream = follow(`http://127.0.0.1:${port}`, client.token, accepted.body.uploadId);
    await eventually(async () => stream.events.length, (n) => n > 0, 20_000);
    expect(await leaving.stop()).toBe(0);
    await stream.done;
    expect(stream.events.map((event) => event.status)).toEqual(['queued']);
    await stack.startWorker();
    expect(await client.settle(accepted.body.uploadId)).toMatchObject({ status: 'done' });
  });

  it("answers 401 without a token and 404 for someone else's upload, as JSON", async () => {
    const owner = await new ApiClient(stack.baseUrl).signUp();
    const accepted = await owner.upload(SAMPLE);
    const url = `/users/me/avatar/uploads/${accepted.body.uploadId}/events`;
    expect((await new ApiClient(stack.baseUrl).request('GET', url)).status).toBe(401);
    const other = await new ApiClient(stack.baseUrl).signUp();
    expect(await other.request('GET', url)).toMatchObject({ status: 404, body: { statusCode: 404, error: 'Not Found' } });
    await owner.settle(accepted.body.uploadId);
  });
});
