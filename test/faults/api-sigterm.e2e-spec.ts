import { Agent, request } from 'node:http';
import { ApiClient } from '../support/client';
import { solidJpeg } from '../support/images';
import { PrivateRedis } from '../support/private-redis';
import { Stack } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

interface Answer {
  status: number;
  uploadId?: string;
  connection?: string;
  error?: string;
}

/** One multipart upload over a keep-alive agent, as a mobile app's HTTP client sends it. */
function upload(agent: Agent, baseUrl: string, token: string, bytes: Buffer): Promise<Answer> {
  const boundary = 'keep-alive-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/users/me/avatar`, {
      agent,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, uploadId: JSON.parse(text).uploadId, connection: res.headers.connection }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(body);
  });
}

describe('faults: the API is told to stop during a burst', () => {
  let redis: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    stack = new Stack({ env: { BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1`, SHUTDOWN_DRAIN_MS: '1500' } });
    await stack.start();
  });
  afterAll(async () => {
    await stack?.destroy();
    await redis?.stop();
  });

  it('keep-alive clients are told Connection: close, nothing is cut mid-request, it exits 0, and every accepted upload ends done', async () => {
    const burst = await new Burst(stack, 'API SIGTERM').signUp(0);
    const users: ApiClient[] = [];
    for (let i = 0; i < 6; i++) users.push(await new ApiClient(stack.baseUrl).signUp()); // one password hash at a time
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    const answers: Answer[] = [];
    let stopping = false;
    const lanes = users.map(async (user, lane) => {
      for (let i = 0; !stopping || i < 2; i++) {
        const answer = await upload(agent, stack.baseUrl, user.token, await solidJpeg(48, 48, `#${lane}${i % 10}${lane}0${i % 10}0`));
        answers.push(answer);
        if (answer.status === 202) burst.accepted.push({ client: user, uploadId: answer.uploadId! });
        if (answer.status === 0 || answers.length > 60) break;
      }
    });
    while (answers.length < 6) await new Promise((done) => setTimeout(done, 50));
    const [api] = stack.api.splice(0, 1);
    const exited = api.stop();
    stopping = true;
    await Promise.all(lanes);
    agent.destroy();
    expect(await exited).toBe(0);

    burst.sent = answers.length;
    for (const answer of answers.filter((a) => a.status !== 202)) burst.refused[answer.status] = (burst.refused[answer.status] ?? 0) + 1;
    // Only a connection never made may fail (the server had stopped listening); none is reset mid-request.
    expect(answers.filter((a) => a.error && a.error !== 'ECONNREFUSED')).toEqual([]);
    expect(answers.some((a) => a.connection === 'close')).toBe(true);
    await stack.startApi();
    const settled = await burst.settle(120_000);
    printFigures({ ...burst.figures(settled), toldToClose: answers.filter((a) => a.connection === 'close').length });
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });
});
