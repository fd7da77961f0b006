import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { ApiClient } from '../support/client';
import { solidJpeg } from '../support/images';
import { Stack, eventually } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

/** A direct upload of one small image to the local driver's endpoint, as a browser would post it. */
async function postToStore(client: ApiClient): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const issued = await client.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/jpeg' });
  expect(issued.status).toBe(201);
  const form = new FormData();
  form.append('token', issued.body.token);
  form.append('key', issued.body.key);
  form.append('file', new Blob([new Uint8Array(await solidJpeg(64, 64, '#3a6'))], { type: 'image/jpeg' }), 'avatar.jpg');
  const response = await fetch(issued.body.uploadUrl, { method: 'POST', body: form });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

describe('faults: the local storage volume is unmounted (an empty mount point is left), then comes back', () => {
  const stack = new Stack({ env: { TASK_RETRY_BACKOFF_MS: '1000', TASK_MAX_RETRIES: '5' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it('nothing is written to the empty mount point left: uploads wait in retries, direct uploads get 503, then every upload ends done', async () => {
    const burst = await new Burst(stack, 'storage volume unmounted, then back').signUp(4);
    const aside = `${stack.storageDir}.unmounted`;
    renameSync(stack.storageDir, aside);
    mkdirSync(stack.storageDir);
    try {
      await burst.send(8, 4);
      expect(burst.accepted).toHaveLength(8); // staging is a folder of its own: the API still accepts
      await eventually(
        () => stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads WHERE attempts > 1'),
        ([row]) => Number(row.n) > 0,
        30_000,
      );
      // Between attempts a client reads what went wrong, and that it is being tried again.
      const statuses = () => Promise.all(burst.accepted.map(({ client, uploadId }) => client.request('GET', `/users/me/avatar/uploads/${uploadId}`)));
      const waiting = (await eventually(statuses, (replies) => replies.some((reply) => reply.body.status === 'queued' && reply.body.error), 30_000))
        .find((reply) => reply.body.status === 'queued' && reply.body.error)!;
      expect(waiting.body.error).toBe('the storage service was unavailable; trying again shortly');
      const direct = await postToStore(await new ApiClient(stack.baseUrl).signUp());
      expect(direct).toMatchObject({ status: 503, body: { message: expect.stringMatching(/try again/) } });
      expect(direct.retryAfter).toMatch(/^\d+$/);
      expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(503);
      expect(readdirSync(stack.storageDir)).toEqual([]);
    } finally {
      rmSync(stack.storageDir, { recursive: true, force: true });
      renameSync(aside, stack.storageDir);
    }
    const returnedAt = Date.now();
    const settled = await burst.settle(60_000);
    const [{ retried }] = await stack.query<{ retried: number }>('SELECT COUNT(*) AS retried FROM avatar_uploads WHERE attempts > 1');
    printFigures({ ...burst.figures(settled, (Date.now() - returnedAt) / 1000), retried });
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });
});
