import { randomBytes } from 'node:crypto';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { ServiceProcess, Stack, eventually } from './support/stack';

/** Every JSON log line a process printed. */
function jsonLines(process: ServiceProcess): Array<Record<string, any>> {
  return process.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe('structured logs (LOG_FORMAT=json)', () => {
  const stack = new Stack({ env: { LOG_FORMAT: 'json' } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('prints only JSON lines, with the old messages still in msg', () => {
    for (const process of [...stack.api, ...stack.workers]) {
      const lines = process.output.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((line) => line.startsWith('{') && line.endsWith('}'))).toBe(true);
    }
    expect(jsonLines(stack.api[0]).some((line) => /^listening on/.test(line.msg) && line.context === 'Api')).toBe(true);
    expect(jsonLines(stack.workers[0]).some((line) => /^worker \d+ ready/.test(line.msg) && line.level === 'info')).toBe(true);
  });

  it('carries one upload’s request id from the API’s access line into every worker line of its job', async () => {
    const requestId = `e2e-${randomBytes(6).toString('hex')}`;
    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(await solidJpeg(400, 300, '#2a7'))], { type: 'image/jpeg' }), 'me.jpg');
    const accepted = await client.request('POST', '/users/me/avatar', form, { 'x-request-id': requestId });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBe(requestId);
    expect((await client.settle(accepted.body.uploadId)).status).toBe('done');

    const access = await eventually(
      async () => jsonLines(stack.api[0]).filter((line) => line.requestId === requestId),
      (lines) => lines.length > 0,
    );
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', route: '/users/me/avatar', req: expect.objectContaining({ method: 'POST' }), res: { statusCode: 202 } }),
    ]);
    expect(typeof access[0].durationMs).toBe('number');

    const jobLines = await eventually(
      async () => jsonLines(stack.workers[0]).filter((line) => line.jobId === accepted.body.jobId),
      (lines) => lines.some((line) => / done/.test(line.msg)),
    );
    for (const line of jobLines) {
      expect(line).toMatchObject({ requestId, uploadId: accepted.body.uploadId, jobId: accepted.body.jobId });
    }
  });

  it('makes up a request id when the client sends none or an unusable one', async () => {
    for (const header of [{}, { 'x-request-id': 'two words' }] as Array<Record<string, string>>) {
      const reply = await client.request('GET', '/users/me', undefined, header);
      expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('access lines name the route pattern and never a token', async () => {
    const other = await new ApiClient(stack.baseUrl).signUp();
    const reply = await client.request('GET', `/users/${other.userId}?token=query-secret-123`);
    expect(reply.status).toBe(200);
    const line = await eventually(
      async () => jsonLines(stack.api[0]).find((l) => l.requestId === reply.headers.get('x-request-id')),
      (found) => found !== undefined,
    );
    expect(line).toMatchObject({ route: '/users/:id', req: { url: `/users/${other.userId}?token=%5Bredacted%5D` } });
    for (const process of [...stack.api, ...stack.workers]) {
      expect(process.output).not.toContain(client.token);
      expect(process.output).not.toContain('query-secret-123');
      expect(process.output).not.toContain('correct horse battery');
    }
  });
});
