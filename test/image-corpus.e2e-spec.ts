import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { Metadata } from 'sharp';
import * as thumbhash from 'thumbhash';
import { DoneExpectation, FIXTURE_NAMES, Fixture, FixtureSet, Rgb, generateFixtures } from './fixtures/generate-fixtures';
import { photoLikePixels } from './fixtures/photo-like';
import { ApiClient, fetchBytes } from './support/client';
import { Stack, eventually } from './support/stack';

// Every file of the fixture corpus goes through the real API and worker; each ends as the corpus says it should.

const MAX_BYTES = 2 * 1024 * 1024;
const SIZES = [512, 256, 128, 64];
/** Searched in every stored object on top of each fixture's own `absent` strings. */
const METADATA_MARKERS = ['Exif', 'GPS'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface ServedImage {
  key: string;
  bytes: Buffer;
  contentType: string | null;
  metadata: Metadata;
}

let work: string;
let fixtures: FixtureSet;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'avatar-corpus-'));
  fixtures = await generateFixtures(join(work, 'fixtures'), { maxBytes: MAX_BYTES });
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function fetchImage(stack: Stack, url: string): Promise<ServedImage> {
  const served = await fetchBytes(url);
  expect({ url, status: served.status }).toEqual({ url, status: 200 });
  const key = url.slice(`${stack.baseUrl}/static/`.length);
  // Keys are content hashes: what is served is exactly what the worker stored.
  expect(key).toMatch(new RegExp(`/${sha256(served.bytes)}\\.(webp|jpg|png|gif)$`));
  return { key, bytes: served.bytes, contentType: served.headers.get('content-type'), metadata: await sharp(served.bytes).metadata() };
}

/** 8-bit sRGB, a single frame, no metadata blocks, and none of the input's tell-tale bytes. */
function expectClean(image: ServedImage, absent: string[]): void {
  const { space, depth, pages, exif, xmp, iptc, orientation } = image.metadata;
  const blocks = Object.entries({ exif, xmp, iptc, orientation }).filter(([, value]) => value !== undefined).map(([name]) => name);
  expect({ key: image.key, space, depth, pages: pages ?? 1, blocks }).toEqual({
    key: image.key, space: 'srgb', depth: 'uchar', pages: 1, blocks: [],
  });
  const found = [...METADATA_MARKERS, ...absent].filter((marker) => image.bytes.includes(Buffer.from(marker, 'latin1')));
  expect({ key: image.key, found }).toEqual({ key: image.key, found: [] });
}

async function expectPixels(image: ServedImage, expected: DoneExpectation['pixels'] = []): Promise<void> {
  const { data, info } = await sharp(image.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (const { x, y, rgb } of expected) {
    const i = (Math.floor(y * info.height) * info.width + Math.floor(x * info.width)) * info.channels;
    const actual: Rgb = [data[i], data[i + 1], data[i + 2]];
    const near = actual.every((value, c) => Math.abs(value - rgb[c]) <= 48);
    expect({ key: image.key, x, y, expected: rgb, actual, near }).toEqual({ key: image.key, x, y, expected: rgb, actual, near: true });
  }
}

const storedKeys = (stack: Stack, userId: number) =>
  readdir(join(stack.storageDir, 'avatars', String(userId))).then(
    (names) => names.map((name) => `avatars/${userId}/${name}`).sort(),
    () => [] as string[],
  );

const uploadRows = async (stack: Stack, userId: number) =>
  (await stack.query<{ n: number }>('SELECT COUNT(*) AS n FROM avatar_uploads WHERE user_id = ?', [userId]))[0].n;

async function expectRefused(stack: Stack, fixture: Fixture, status: number): Promise<void> {
  const client = await new ApiClient(stack.baseUrl).signUp();
  const staged = await readdir(stack.stagingDir);

  const reply = await client.upload(fixture.path);

  expect(reply.status).toBe(status);
  expect(reply.body).toMatchObject({ statusCode: status, message: expect.any(String) });
  expect(await uploadRows(stack, client.userId)).toBe(0);
  expect((await client.request('GET', '/users/me')).body).toMatchObject({ avatarUrl: null, avatar: null });
  await eventually(() => readdir(stack.stagingDir), (names) => names.length === staged.length, 5000);
}

async function expectFailed(stack: Stack, fixture: Fixture, reason: RegExp): Promise<void> {
  const client = await new ApiClient(stack.baseUrl).signUp();

  const accepted = await client.upload(fixture.path);
  expect(accepted.status).toBe(202);
  const { uploadId, jobId } = accepted.body;
  const settled = await client.settle(uploadId);

  expect(settled).toMatchObject({ status: 'failed', attempts: 1 });
  expect(settled.error).toMatch(reason);
  expect(settled.avatarUrl).toBeUndefined();
  // Refused content is discarded: the job fails for good after one attempt instead of being retried.
  expect(await client.finishedJob(jobId)).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: settled.error });
  expect(await storedKeys(stack, client.userId)).toEqual([]);
  expect((await client.request('GET', '/users/me')).body).toMatchObject({ avatarUrl: null, avatar: null });
  // An upload that failed for good keeps nothing: neither its staged file nor a work folder.
  await eventually(() => readdir(stack.stagingDir), (names) => !names.some((name) => name.includes(uploadId)), 5000);
}

async function expectDone(stack: Stack, fixture: Fixture, expected: DoneExpectation, keepsOriginal: boolean): Promise<void> {
  const client = await new ApiClient(stack.baseUrl).signUp();
  const absent = expected.absent ?? [];

  const accepted = await client.upload(fixture.path);
  expect(accepted.status).toBe(202);
  const settled = await client.settle(accepted.body.uploadId);

  expect(settled).toMatchObject({ status: 'done', attempts: 1 });
  const { avatar, avatarUrl } = (await client.request('GET', '/users/me')).body;
  expect(avatarUrl).toBe(settled.avatarUrl);
  expect(avatar).toMatchObject({ width: expected.source.width, height: expected.source.height, updatedAt: expect.any(String) });
  expect(Object.keys(avatar.variants).map(Number).sort((a, b) => b - a)).toEqual(SIZES);
  expect(avatar.variants['512']).toBe(avatarUrl);
  expect(avatar.placeholder).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  // The placeholder is a ThumbHash of the square crop.
  expect(thumbhash.thumbHashToApproximateAspectRatio(Buffer.from(avatar.placeholder, 'base64'))).toBeCloseTo(1, 1);

  const squares = [
    ...SIZES.map((size) => ({ url: avatar.variants[String(size)] as string, size, format: 'webp' })),
    { url: avatar.jpeg as string, size: 512, format: 'jpeg' },
  ];
  const served: ServedImage[] = [];
  for (const { url, size, format } of squares) {
    const image = await fetchImage(stack, url);
    expect([image.key, image.contentType, image.metadata.format, image.metadata.width, image.metadata.height]).toEqual([
      image.key, `image/${format}`, format, size, size,
    ]);
    expectClean(image, absent);
    await expectPixels(image, expected.pixels);
    served.push(image);
  }
  if (keepsOriginal) {
    const original = await fetchImage(stack, avatar.original);
    const { format } = expected.source;
    expect([original.contentType, original.metadata.format, original.metadata.width, original.metadata.height]).toEqual([
      `image/${format}`, format, expected.source.width, expected.source.height,
    ]);
    expectClean(original, absent);
    served.push(original);
  } else {
    expect(avatar.original).toBeUndefined();
  }
  expect(await storedKeys(stack, client.userId)).toEqual(served.map((image) => image.key).sort());

  expect(await client.finishedJob(accepted.body.jobId)).toMatchObject({ state: 'completed', progress: 100, attemptsMade: 1, result: { status: 'done', avatarUrl } });
}

describe('the upload corpus through the API and the worker (AVATAR_KEEP_ORIGINAL=true)', () => {
  const stack = new Stack({ env: { AVATAR_MAX_BYTES: String(MAX_BYTES), AVATAR_KEEP_ORIGINAL: 'true' } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it('has a corpus sized for this stack whose inputs really carry what must not come out', async () => {
    expect((await readFile(fixtures.justUnderMaxBytes.path)).length).toBe(MAX_BYTES - 1);
    expect((await readFile(fixtures.justOverMaxBytes.path)).length).toBe(MAX_BYTES + 1);
    for (const { name, path, outcome } of Object.values(fixtures)) {
      if (!('done' in outcome)) continue;
      const input = await readFile(path);
      const missing = (outcome.absent ?? []).filter((marker) => !input.includes(Buffer.from(marker, 'latin1')));
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });

  it.each(FIXTURE_NAMES)('%s ends as the corpus expects', async (name) => {
    const fixture = fixtures[name];
    const { outcome } = fixture;
    if ('http' in outcome) await expectRefused(stack, fixture, outcome.http);
    else if ('failed' in outcome) await expectFailed(stack, fixture, outcome.failed);
    else await expectDone(stack, fixture, outcome, true);
  });

  it('reports progress between 0 and 100 while a 12 MP photo is processed, then 100 once completed', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const path = join(work, 'twelve-megapixels.jpg');
    const pixels = photoLikePixels(400, 300, 7);
    await writeFile(path, await sharp(pixels, { raw: { width: 400, height: 300, channels: 3 } }).resize(4000, 3000).jpeg().toBuffer());

    const accepted = await client.upload(path);
    expect(accepted.status).toBe(202);
    // Polled back to back: the job spends only a few hundred milliseconds between its first and last report.
    const seen: number[] = [];
    const deadline = Date.now() + 20_000;
    let job = await client.request('GET', `/jobs/${accepted.body.jobId}`);
    while (!['completed', 'failed'].includes(job.body.state) && Date.now() < deadline) {
      seen.push(job.body.progress);
      job = await client.request('GET', `/jobs/${accepted.body.jobId}`);
    }

    expect(job.body).toMatchObject({ state: 'completed', progress: 100 });
    expect(seen.filter((p) => p > 0 && p < 100)).not.toEqual([]);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect((await client.request('GET', '/users/me')).body.avatar).toMatchObject({ width: 4000, height: 3000 });
  });
});

describe('the default configuration (no AVATAR_KEEP_ORIGINAL)', () => {
  const stack = new Stack({ env: { AVATAR_MAX_BYTES: String(MAX_BYTES) } });

  beforeAll(() => stack.start());
  afterAll(() => stack.destroy());

  it('stores upright, metadata-free variants and JPEG of a GPS-tagged photo, and no original', async () => {
    const { gpsOrientation6 } = fixtures;
    await expectDone(stack, gpsOrientation6, gpsOrientation6.outcome as DoneExpectation, false);
  });
});
