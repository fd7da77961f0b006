import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually } from './support/stack';

/** A multipart upload whose body arrives in two halves `pauseMs` apart: it holds an admission slot meanwhile. */
function slowUpload(baseUrl: string, token: string, bytes: Buffer, pauseMs: number): Promise<number> {
  const boundary = 'slow-upload-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const body = Buffer.concat([head, bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/users/me/avatar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(body.subarray(0, head.length + 10));
    setTimeout(() => req.end(body.subarray(head.length + 10)), pauseMs);
  });
}

async function admissionGauge(stack: Stack, measure: string): Promise<number> {
  const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  return Number(new RegExp(`^avatar_upload_admission\\{measure="${measure}"\\} (\\d+)`, 'm').exec(text)?.[1]);
}

describe('admission control (UPLOAD_MAX_INFLIGHT, QUEUE_MAX_WAITING)', () => {
  const stack = new Stack({ env: { UPLOAD_MAX_INFLIGHT: '2', QUEUE_MAX_WAITING: '3' } });
  let client: ApiClient;
  let other: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
    other = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('refuses an upload beyond UPLOAD_MAX_INFLIGHT with 503 + Retry-After before reading it, and admits again once one ends', async () => {
    const photo = await solidJpeg(64, 64, '#223344');
    const slow = [slowUpload(stack.baseUrl, client.token, photo, 8000), slowUpload(stack.baseUrl, other.token, photo, 8000)];
    await eventually(() => admissionGauge(stack, 'in_flight'), (n) => n === 2, 10_000);
    const staged = readdirSync(stack.stagingDir).length;
    const refused = await client.upload(await solidJpeg(64, 64, '#556677'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ statusCode: 503, message: 'too many uploads are in progress; try again in a moment' });
    expect(readdirSync(stack.stagingDir).length).toBe(staged);
    expect(await Promise.all(slow)).toEqual([202, 202]);
    expect(await admissionGauge(stack, 'max_in_flight')).toBe(2);
    await eventually(() => admissionGauge(stack, 'in_flight'), (n) => n === 0, 10_000);
    const admitted = await client.upload(await solidJpeg(64, 64, '#8899aa'));
    expect(admitted.status).toBe(202);
    await client.settle(admitted.body.uploadId);
  });

  it('refuses uploads while QUEUE_MAX_WAITING jobs wait, so the backlog stays bounded', async () => {
    const [worker] = stack.workers.splice(0, 1);
    expect(await worker.stop()).toBe(0);
    const users = [client, other, await new ApiClient(stack.baseUrl).signUp()];
    const accepted = [];
    for (const [i, user] of users.entries()) accepted.push(await user.upload(await solidJpeg(32, 32, `#10203${i}`)));
    expect(accepted.map((reply) => reply.status)).toEqual([202, 202, 202]);
    const refused = await client.upload(await solidJpeg(32, 32, '#405060'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.message).toBe('the upload queue is full; try again in a moment');
    expect(await admissionGauge(stack, 'waiting')).toBe(3);

    await stack.startWorker();
    for (const [i, reply] of accepted.entries()) expect((await users[i].settle(reply.body.uploadId)).status).toBe('done');
    expect((await client.upload(await solidJpeg(32, 32, '#708090'))).status).toBe(202);
  });
});
