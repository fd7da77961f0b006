import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { avatarConfig } from '../src/config/avatar.config';
import { AvatarImageRenderer } from '../src/images/avatar-image.renderer';
import { photoLikeJpeg } from '../test/fixtures/photo-like';

const PHOTOS_PER_SIZE = 3;
const PHOTO_SIZES: Array<[label: string, width: number, height: number]> = [
  ['2 MP', 1732, 1155],
  ['6 MP', 3000, 2000],
  ['12 MP', 4240, 2832],
];
const PIPELINES = ['plain sharp', 'renderer', 'renderer +original'] as const;
type Pipeline = (typeof PIPELINES)[number];

interface Measured {
  seconds: number;
  idleRssMb: number;
  peakRssMb: number;
}

/** Images/second and peak RSS of the avatar image step against plain sharp resizes of the same photos. */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'image-step-bench-'));
  try {
    const photos = await writePhotos(dir);
    const warmUp = join(dir, 'warm-up.jpg');
    await writeFile(warmUp, await photoLikeJpeg(640, 480, 99));
    console.log(
      `sizes ${avatarConfig().sizes.join('/')}, ${PHOTOS_PER_SIZE} photo-like JPEGs per size, one at a time, ` +
        `each row in a fresh process; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`,
    );
    console.log(row(['photos', 'pipeline', 'images/s', 'ms/image', 'idle RSS MB', 'peak RSS MB', 'speed vs plain']));
    for (const [label] of [...PHOTO_SIZES, ['all'] as const]) {
      const files = photos.filter((p) => label === 'all' || p.label === label).map((p) => p.file);
      let baseline: Measured | undefined;
      for (const pipeline of PIPELINES) {
        const measured = await inChild(pipeline, dir, [warmUp, ...files]);
        baseline ??= measured;
        console.log(row([
          label,
          pipeline,
          (files.length / measured.seconds).toFixed(2),
          ((measured.seconds * 1000) / files.length).toFixed(0),
          measured.idleRssMb.toFixed(0),
          measured.peakRssMb.toFixed(0),
          `${(baseline.seconds / measured.seconds).toFixed(2)}×`,
        ]));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh process per measurement, so peak RSS (a high-water mark) belongs to that pipeline alone. */
function inChild(pipeline: Pipeline, dir: string, files: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [pipeline, dir, ...files], { execArgv: ['-r', 'ts-node/register/transpile-only'] });
    child.once('message', (measured) => resolve(measured as Measured));
    child.once('error', reject);
    child.once('exit', (code) => code === 0 || reject(new Error(`${pipeline} bench exited with ${code}`)));
  });
}

async function measureHere(pipeline: Pipeline, dir: string, [warmUp, ...files]: string[]): Promise<Measured> {
  const config = avatarConfig();
  const renderer = new AvatarImageRenderer({ ...config, keepOriginal: pipeline === 'renderer +original' });
  let outputs = 0;
  const step = async (file: string) => {
    const out = join(dir, `out-${process.pid}-${outputs++}`);
    await mkdir(out);
    if (pipeline !== 'plain sharp') return void (await renderer.render(file));
    for (const size of config.sizes) await sharp(file).resize(size, size).webp().toFile(join(out, `${size}.webp`));
  };
  await step(warmUp); // loads the codecs and starts libvips' threads outside the measurement
  const idle = process.memoryUsage.rss();
  let peak = idle;
  // Sampled: getrusage's maxRSS would include the parent's memory, which Linux carries across fork and exec.
  // sharp works on libuv threads, so the event loop is free to sample while a pipeline runs.
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  const started = process.hrtime.bigint();
  for (const file of files) await step(file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  return { seconds, idleRssMb: idle / 2 ** 20, peakRssMb: Math.max(peak, process.memoryUsage.rss()) / 2 ** 20 };
}

async function writePhotos(dir: string): Promise<Array<{ label: string; file: string }>> {
  const photos: Array<{ label: string; file: string }> = [];
  for (const [label, width, height] of PHOTO_SIZES) {
    for (let i = 0; i < PHOTOS_PER_SIZE; i++) {
      const file = join(dir, `${width}x${height}-${i}.jpg`);
      await writeFile(file, await photoLikeJpeg(width, height, 100 + photos.length));
      photos.push({ label, file });
    }
  }
  return photos;
}

function row(cells: string[]): string {
  return cells.map((cell, i) => (i < 2 ? cell.padEnd(i === 0 ? 8 : 22) : cell.padStart(15))).join('');
}

if (require.main === module) {
  const [pipeline, dir, ...files] = process.argv.slice(2);
  void measureHere(pipeline as Pipeline, dir, files).then((measured) => process.send!(measured, () => process.exit(0)));
}
