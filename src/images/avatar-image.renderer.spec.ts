import { ConfigModule, ConfigType } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { gpsEntryCount } from '../../test/fixtures/exif-gps';
import { DoneExpectation, FIXTURE_NAMES, FixtureSet, Rgb, generateFixtures } from '../../test/fixtures/generate-fixtures';
import { scanBombJpeg } from '../../test/fixtures/scan-bomb';
import { avatarConfig } from '../config/avatar.config';
import { AvatarImageRenderer, RenderedAvatar, SourceCrop } from './avatar-image.renderer';
import { ImageRejectedError } from './image-rejected.error';
import { ImagesModule } from './images.module';
import * as thumbhash from 'thumbhash';

type AvatarConfig = ConfigType<typeof avatarConfig>;

const SIZES = [512, 256, 128, 64];
const config = (overrides: Partial<AvatarConfig> = {}) =>
  ({
    maxBytes: 1_000_000,
    maxPixels: 40_000_000,
    maxJpegScans: 100,
    decodeTimeoutSec: 20,
    sizes: SIZES,
    keepOriginal: true,
    formats: ['webp'],
    cropStrategy: 'centre',
    ...overrides,
  }) as AvatarConfig;

let root: string;
let fixtures: FixtureSet;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'avatar-renderer-'));
  fixtures = await generateFixtures(join(root, 'fixtures'), { maxBytes: 1_000_000 });
}, 60_000); // about a second alone, far more on a loaded machine

afterAll(() => rm(root, { recursive: true, force: true }));

async function render(path: string, overrides: Partial<AvatarConfig> = {}, onProgress?: (p: number) => void, crop?: SourceCrop) {
  const result = await new AvatarImageRenderer(config(overrides)).render(path, onProgress, crop);
  return { result };
}

async function pixelAt(image: Buffer, fx: number, fy: number): Promise<Rgb> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(fy * info.height) * info.width + Math.floor(fx * info.width)) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
}

function expectNear(actual: Rgb, expected: Rgb) {
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(48));
}

async function expectRejected(promise: Promise<unknown>, message: RegExp) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ImageRejectedError);
  expect((error as Error).message).toMatch(message);
}

describe(AvatarImageRenderer.name, () => {
  it('encodes a square WebP per configured size and a JPEG of the largest, each hashed', async () => {
    const { result } = await render(fixtures.photo.path, { keepOriginal: false });

    expect(result.source).toEqual({ format: 'jpeg', width: 1600, height: 1067 });
    expect(result.images.map((i) => [i.role, i.size, i.format, i.extension, i.contentType])).toEqual([
      ...SIZES.map((size) => ['variant', size, 'webp', 'webp', 'image/webp']),
      ['jpeg', 512, 'jpeg', 'jpg', 'image/jpeg'],
    ]);
    for (const image of result.images) {
      const bytes = image.data;
      const metadata = await sharp(bytes).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual([image.format, image.size, image.size]);
      expect([image.width, image.height, image.bytes]).toEqual([image.size, image.size, bytes.length]);
      expect(image.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('keeps an upright, re-encoded original only when configured to', async () => {
    const without = await render(fixtures.gpsOrientation6.path, { keepOriginal: false });
    const withOriginal = await render(fixtures.gpsOrientation6.path, { keepOriginal: true });

    expect(without.result.images.some((i) => i.role === 'original')).toBe(false);
    const original = withOriginal.result.images.find((i) => i.role === 'original');
    expect(original).toMatchObject({ size: null, format: 'jpeg', extension: 'jpg', width: 400, height: 600 });
    const metadata = await sharp(original!.data).metadata();
    expect([metadata.width, metadata.height, metadata.orientation]).toEqual([400, 600, undefined]);
  });

  it('applies EXIF orientation 6 before cropping', async () => {
    const { result } = await render(fixtures.gpsOrientation6.path);

    expect(result.source).toEqual({ format: 'jpeg', width: 400, height: 600 });
    for (const image of result.images) {
      expectNear(await pixelAt(image.data, 0.5, 0.2), [255, 0, 0]);
      expectNear(await pixelAt(image.data, 0.5, 0.8), [0, 0, 255]);
    }
  });

  describe('choosing the square', () => {
    const RED: Rgb = [224, 48, 32];
    const GREY: Rgb = [128, 128, 128];
    let sideways: string;
    let offCentre: string;

    beforeAll(async () => {
      // 200×100 stored, EXIF orientation 6: displayed 100×200, red on top and blue below.
      const raw = Buffer.alloc(200 * 100 * 3);
      for (let i = 0; i < 200 * 100; i++) raw.set((i % 200) < 100 ? [255, 0, 0] : [0, 0, 255], i * 3);
      sideways = join(root, 'sideways.jpg');
      await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toFile(sideways);
      offCentre = join(root, 'off-centre.png');
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"><rect width="300" height="100" fill="#808080"/><circle cx="250" cy="50" r="35" fill="#e03020"/></svg>';
      await sharp(Buffer.from(svg)).png().toFile(offCentre);
    });

    it("uses the client's crop, in pixels of the upright image", async () => {
      const { result } = await render(sideways, { keepOriginal: false }, undefined, { x: 0, y: 100, width: 100, height: 100 });
      expect(result.source).toMatchObject({ width: 100, height: 200 });
      expectNear(await pixelAt(result.images[0].data, 0.5, 0.5), [0, 0, 255]);
      expectNear(await pixelAt(result.images[0].data, 0.1, 0.1), [0, 0, 255]);
    });

    it('refuses a crop that does not fit the upright image, naming both', async () => {
      await expectRejected(
        render(sideways, {}, undefined, { x: 0, y: 150, width: 100, height: 100 }),
        /^the crop 100×100 at \(0, 150\) does not fit the 100×200 image$/,
      );
    });

    it('without a crop, AVATAR_CROP=attention finds the salient part where centre would not', async () => {
      const attention = await render(offCentre, { keepOriginal: false, cropStrategy: 'attention' });
      expectNear(await pixelAt(attention.result.images[0].data, 0.5, 0.5), RED);
      const centre = await render(offCentre, { keepOriginal: false, cropStrategy: 'centre' });
      expectNear(await pixelAt(centre.result.images[0].data, 0.5, 0.5), GREY);
    });
  });

  describe('AVIF', () => {
    it('accepts AVIF input and renders it like any other', async () => {
      const avif = join(root, 'photo.avif');
      await sharp(fixtures.photo.path).avif({ quality: 50, effort: 0 }).toFile(avif);
      const { result } = await render(avif, { keepOriginal: false });
      expect(result.source).toEqual({ format: 'avif', width: 1600, height: 1067 });
      expect(result.images.map((image) => image.role)).toEqual([...SIZES.map(() => 'variant'), 'jpeg']);
    }, 60_000);

    it('adds AVIF variants of every size when AVATAR_FORMATS=webp,avif', async () => {
      const { result } = await render(fixtures.photo.path, { keepOriginal: false, formats: ['webp', 'avif'] });
      const avif = result.images.filter((image) => image.role === 'avif');
      expect(avif.map((image) => [image.size, image.contentType, image.width, image.height])).toEqual(
        SIZES.map((size) => [size, 'image/avif', size, size]),
      );
      const metadata = await sharp(avif[0].data).metadata();
      expect([metadata.format, metadata.compression]).toEqual(['heif', 'av1']);
    }, 60_000);
  });

  it('strips EXIF, GPS and every other metadata block from every output', async () => {
    const input = await readFile(fixtures.gpsOrientation6.path);
    const markers = ['Exif', 'GPS', 'FixtureCam', 'WGS-84'];
    expect(gpsEntryCount((await sharp(input).metadata()).exif)).toBeGreaterThan(3);
    markers.forEach((marker) => expect(input.includes(marker)).toBe(true));

    const { result } = await render(fixtures.gpsOrientation6.path);

    expect(result.images).toHaveLength(SIZES.length + 2);
    for (const image of result.images) {
      const bytes = image.data;
      const metadata = await sharp(bytes).metadata();
      expect([metadata.exif, metadata.xmp, metadata.iptc, metadata.icc, metadata.orientation]).toEqual([
        undefined, undefined, undefined, undefined, undefined,
      ]);
      markers.forEach((marker) => expect(bytes.includes(marker)).toBe(false));
    }
  });

  it('converts CMYK to 8-bit sRGB', async () => {
    const { result } = await render(fixtures.cmyk.path);

    for (const image of result.images) {
      expect(await sharp(image.data).metadata()).toMatchObject({ space: 'srgb', channels: 3, depth: 'uchar' });
      expectNear(await pixelAt(image.data, 0.5, 0.5), [0, 170, 80]);
    }
  });

  it('turns a 16-bit PNG into 8-bit outputs, the original included', async () => {
    expect((await sharp(fixtures.png16.path).metadata()).depth).toBe('ushort');

    const { result } = await render(fixtures.png16.path);

    expect(result.images.find((i) => i.role === 'original')?.format).toBe('png');
    for (const image of result.images) {
      expect(await sharp(image.data).metadata()).toMatchObject({ space: 'srgb', depth: 'uchar' });
    }
  });

  it('keeps only the first frame of an animated GIF', async () => {
    expect((await sharp(fixtures.animatedGif.path).metadata()).pages).toBe(3);

    const { result } = await render(fixtures.animatedGif.path);

    for (const image of result.images) {
      expect((await sharp(image.data).metadata()).pages ?? 1).toBe(1);
      expectNear(await pixelAt(image.data, 0.5, 0.5), [255, 0, 0]);
    }
  });

  it('refuses a small file declaring 100000×100000 pixels quickly, naming the configured limit', async () => {
    const started = Date.now();
    await expectRejected(render(fixtures.pngBomb.path), /^image dimensions exceed 40 megapixels$/);
    expect(Date.now() - started).toBeLessThan(500);

    await expectRejected(render(fixtures.photo.path, { maxPixels: 1_500_000 }), /^image dimensions exceed 1.5 megapixels$/);
  });

  it('refuses a JPEG with more scans than AVATAR_MAX_JPEG_SCANS before decoding it, and takes one within the limit', async () => {
    await expectRejected(render(fixtures.scanBomb.path), /^the JPEG has more than 100 progressive scans \(photos have about 10\)/);

    const fewScans = join(root, 'few-scans.jpg');
    await writeFile(fewScans, scanBombJpeg(64, 12));
    expect((await render(fewScans)).result.source).toEqual({ format: 'jpeg', width: 64, height: 64 });
    await expectRejected(render(fewScans, { maxJpegScans: 11 }), /more than 11 progressive scans/);
  });

  it('holds the scans the API counted against the limit instead of reading the file again', async () => {
    const fewScans = join(root, 'counted-scans.jpg');
    await writeFile(fewScans, scanBombJpeg(64, 12));
    const renderer = new AvatarImageRenderer(config({ maxJpegScans: 11 }));
    // The file has 12 scans: only a renderer that trusts the count given takes it, or refuses it for the count alone.
    expect((await renderer.render(fewScans, undefined, undefined, { jpegScans: 3 })).source).toEqual({ format: 'jpeg', width: 64, height: 64 });
    await expectRejected(renderer.render(fixtures.photo.path, undefined, undefined, { jpegScans: 12 }), /more than 11 progressive scans/);
  });

  it('gives up on a decode that runs past AVATAR_DECODE_TIMEOUT_SEC', async () => {
    // ~1,000 full passes over 36 MP: several seconds on any machine, against a one-second deadline.
    const slow = join(root, 'slow.jpg');
    await writeFile(slow, scanBombJpeg(6000, 1000));

    await expectRejected(render(slow, { maxJpegScans: 10_000, decodeTimeoutSec: 1 }), /^the image took longer than 1 s to decode/);
  }, 60_000);

  it('reports a truncated JPEG as corrupt', async () => {
    await expectRejected(render(fixtures.truncatedJpeg.path), /^corrupt or truncated image$/);
  });

  it('refuses SVG by its content whatever the file is called', async () => {
    const { copyFile } = await import('node:fs/promises');
    const disguised = join(root, 'avatar.png');
    await copyFile(fixtures.svgWithScript.path, disguised);

    await expectRejected(render(disguised), /^unsupported format: SVG \(upload a JPEG, PNG, WebP, GIF or AVIF\)$/);
  });

  it('produces a ThumbHash placeholder of the crop', async () => {
    const { result } = await render(fixtures.tinyPng.path);

    const { r, g, b } = thumbhash.thumbHashToAverageRGBA(Buffer.from(result.placeholder, 'base64'));
    expectNear([r * 255, g * 255, b * 255], [0, 0, 255]);
  });

  it('reports progress 50 once the source is decoded and 100 once every output is encoded', async () => {
    const progress: number[] = [];
    await render(fixtures.photo.path, {}, (p) => void progress.push(p));

    expect(progress).toEqual([50, 100]);
  });

  it('lets disk errors through instead of rejecting the image', async () => {
    const renderer = new AvatarImageRenderer(config());
    const error = await renderer.render(join(root, 'missing.jpg')).catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(ImageRejectedError);
    expect(error).toMatchObject({ code: 'ENOENT' });
  });

  it('is provided by ImagesModule with the avatar config namespace', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [avatarConfig] }), ImagesModule],
    }).compile();

    expect(moduleRef.get(AvatarImageRenderer)).toBeInstanceOf(AvatarImageRenderer);
  });

  describe('ends each fixture as the corpus expects', () => {
    it.each(FIXTURE_NAMES)('%s', async (name) => {
      const { path, outcome } = fixtures[name];
      const expected = 'done' in outcome ? outcome : 'failed' in outcome ? outcome.failed : outcome.rejected;
      if (expected instanceof RegExp) {
        await expectRejected(render(path), expected);
      } else if (expected) {
        const { result } = await render(path);
        expectDone(result, expected);
        await expectPixels(result, expected);
      } else {
        // Refused by the API for its size alone: the image itself must be valid.
        expect((await render(path)).result.images).toHaveLength(SIZES.length + 2);
      }
    });
  });
});

function expectDone(result: RenderedAvatar, expected: DoneExpectation) {
  expect(result.source).toEqual(expected.source);
  expect(result.images.filter((i) => i.role === 'variant').map((i) => [i.width, i.height])).toEqual(SIZES.map((s) => [s, s]));
}

async function expectPixels(result: RenderedAvatar, expected: DoneExpectation) {
  for (const image of result.images.filter((i) => i.role !== 'original')) {
    const bytes = image.data;
    (expected.absent ?? []).forEach((marker) => expect(bytes.includes(marker)).toBe(false));
    for (const { x, y, rgb } of expected.pixels ?? []) expectNear(await pixelAt(image.data, x, y), rgb);
  }
}
