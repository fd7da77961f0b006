import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { ApiClient, fetchBytes } from './support/client';
import { eventually, Stack } from './support/stack';

const SAMPLE = resolve(__dirname, '../docs/sample-avatar.jpg');

/** 200×100: red on the left, blue on the right. */
const halves = () =>
  sharp({ create: { width: 200, height: 100, channels: 3, background: '#ff0000' } })
    .composite([{ input: { create: { width: 100, height: 100, channels: 3, background: '#0000ff' } }, left: 100, top: 0 }])
    .jpeg()
    .toBuffer();

async function centreColour(url: string): Promise<[number, number, number]> {
  const { data, info } = await sharp((await fetchBytes(url)).bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
}

function uploadForm(bytes: Buffer, crop?: string): FormData {
  const form = new FormData();
  form.append('avatar', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'avatar.jpg');
  if (crop !== undefined) form.append('crop', crop);
  return form;
}

describe('crop, AVIF and removal (API and worker as separate processes)', () => {
  const stack = new Stack({ env: { AVATAR_FORMATS: 'webp,avif' } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('uses the crop sent with a server-side upload', async () => {
    const accepted = await client.request('POST', '/users/me/avatar', uploadForm(await halves(), '{"x":100,"y":0,"width":100,"height":100}'));
    expect(accepted.status).toBe(202);
    const done = await client.settle(accepted.body.uploadId);
    expect(done).toMatchObject({ status: 'done', progress: 100 });
    const [r, , b] = await centreColour(done.avatarUrl);
    expect(b).toBeGreaterThan(200);
    expect(r).toBeLessThan(50);
  });

  it('uses the crop sent with the confirm of a direct upload', async () => {
    const ticket = (await client.request('POST', '/users/me/avatar/upload-token', {})).body;
    const form = new FormData();
    form.append('token', ticket.token);
    form.append('key', ticket.key);
    form.append('file', new Blob([new Uint8Array(await halves())], { type: 'image/jpeg' }), 'halves.jpg');
    expect((await fetch(ticket.uploadUrl, { method: 'POST', body: form })).status).toBe(200);
    const accepted = await client.request('POST', '/users/me/avatar/confirm', { key: ticket.key, crop: { x: 0, y: 0, width: 100, height: 100 } });
    expect(accepted.status).toBe(202);
    const done = await client.settle(accepted.body.uploadId);
    const [r, , b] = await centreColour(done.avatarUrl);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(50);
  });

  it('refuses a malformed crop with 400 and keeps no staged file', async () => {
    for (const crop of ['{"x":0,"y":0,"width":0,"height":10}', 'not json', '{"x":-1,"y":0,"width":10,"height":10}']) {
      const reply = await client.request('POST', '/users/me/avatar', uploadForm(await halves(), crop));
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^crop must be/) });
    }
    const confirm = await client.request('POST', '/users/me/avatar/confirm', { key: 'incoming/1/00000000-0000-4000-8000-000000000000', crop: { x: 0 } });
    expect(confirm.status).toBe(400);
    expect(readdirSync(stack.stagingDir).filter((name) => !name.startsWith('work-'))).toEqual([]);
  });

  it('fails an upload whose crop does not fit the image, with the reason', async () => {
    const accepted = await client.request('POST', '/users/me/avatar', uploadForm(await halves(), '{"x":150,"y":0,"width":100,"height":100}'));
    expect(accepted.status).toBe(202);
    expect(await client.settle(accepted.body.uploadId)).toMatchObject({
      status: 'failed',
      error: 'the crop 100×100 at (150, 0) does not fit the 200×100 image',
    });
  });

  it('accepts AVIF and lists AVIF variants when AVATAR_FORMATS=webp,avif', async () => {
    const avif = await sharp(SAMPLE).avif({ quality: 50, effort: 0 }).toBuffer();
    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(avif)], { type: 'image/avif' }), 'sample.avif');
    const accepted = await client.request('POST', '/users/me/avatar', form);
    expect(accepted.status).toBe(202);
    expect(await client.settle(accepted.body.uploadId)).toMatchObject({ status: 'done' });
    const { avatar } = (await client.request('GET', '/users/me')).body;
    expect(Object.keys(avatar.avif).sort()).toEqual(['128', '256', '512', '64']);
    const served = await fetchBytes(avatar.avif['256']);
    expect(served.headers.get('content-type')).toBe('image/avif');
    expect(await sharp(served.bytes).metadata()).toMatchObject({ format: 'heif', compression: 'av1', width: 256, height: 256 });
  });

  it('removes the avatar at once (204) and its objects after the grace period', async () => {
    const before = (await client.request('GET', '/users/me')).body.avatar;
    const urls: string[] = [...Object.values(before.variants), ...Object.values(before.avif), before.jpeg] as string[];
    expect((await client.request('DELETE', '/users/me/avatar')).status).toBe(204);
    expect((await client.request('GET', '/users/me')).body).toMatchObject({ avatarUrl: null, avatar: null });
    for (const url of urls) await eventually(() => fetchBytes(url), (r) => r.status === 404, 20_000);
    expect((await client.request('DELETE', '/users/me/avatar')).status).toBe(204);
  });

  it('does not let an upload received before the removal set the avatar when its job finishes later', async () => {
    const racer = await new ApiClient(stack.baseUrl).signUp();
    await Promise.all(stack.workers.map((worker) => worker.stop()));
    const accepted = await racer.upload(SAMPLE);
    expect(accepted.status).toBe(202);
    expect((await racer.request('DELETE', '/users/me/avatar')).status).toBe(204);
    await stack.startWorker();
    const done = await racer.settle(accepted.body.uploadId);
    expect(done.status).toBe('done');
    expect((await racer.request('GET', '/users/me')).body.avatar).toBeNull();
    // Its objects are not the avatar, so they go after the grace period too.
    await eventually(() => fetchBytes(done.avatarUrl), (r) => r.status === 404, 20_000);
  });
});
