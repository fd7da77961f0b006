import { request } from 'node:http';
import { QiniuEmulator } from './qiniu-emulator/qiniu-emulator';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { qiniuEnv, startQiniuEmulator } from './support/qiniu';
import { Stack, eventually, sleep } from './support/stack';

const photo = (colour: string) => solidJpeg(300, 300, colour);

/** A multipart upload whose body trickles in, so it is still in flight when the API is told to stop. */
function slowUpload(baseUrl: string, token: string, bytes: Buffer, pauseMs: number): Promise<{ status: number; body: any }> {
  const boundary = 'slow-upload-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, bytes, tail]);
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/users/me/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    setTimeout(() => req.end(body.subarray(half)), pauseMs);
  });
}

describe('graceful shutdown', () => {
  let emulator: QiniuEmulator;
  let stack: Stack;

  beforeAll(async () => {
    emulator = await startQiniuEmulator();
    stack = new Stack({ env: { ...qiniuEnv(emulator), WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '20000' } });
    await stack.start();
  });
  afterAll(async () => {
    await stack.destroy();
    await emulator.stop();
  });

  it('a worker told to stop finishes its active job, takes no new one, and exits cleanly', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    emulator.faults.setLatency('up', 400); // five uploads per job: about two seconds of work
    try {
      const first = await client.upload(await photo('#aa5500'));
      const second = await client.upload(await photo('#0055aa'));
      await eventually(() => client.request('GET', `/users/me/avatar/uploads/${first.body.uploadId}`), (r) => r.body.status === 'processing');
      const [worker] = stack.workers.splice(0, 1);
      expect(await worker.stop()).toBe(0);
      expect((await client.request('GET', `/users/me/avatar/uploads/${first.body.uploadId}`)).body.status).toBe('done');
      expect((await client.request('GET', `/users/me/avatar/uploads/${second.body.uploadId}`)).body.status).toBe('queued');

      emulator.faults.setLatency('up', 0);
      await stack.startWorker();
      expect((await client.settle(second.body.uploadId)).status).toBe('done');
    } finally {
      emulator.faults.setLatency('up', 0);
    }
  });

  it('an API told to stop finishes the upload in flight and refuses new connections', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const inFlight = slowUpload(stack.baseUrl, client.token, await photo('#55aa00'), 1500);
    await sleep(300);
    const [api] = stack.api.splice(0, 1);
    const exited = api.stop();
    await sleep(200);
    await expect(fetch(`${stack.baseUrl}/health`)).rejects.toThrow();
    const reply = await inFlight;
    expect(reply.status).toBe(202);
    expect(await exited).toBe(0);

    await stack.startApi();
    expect((await client.settle(reply.body.uploadId)).status).toBe('done');
  });
});
