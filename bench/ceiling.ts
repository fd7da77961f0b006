import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import * as thumbhash from 'thumbhash';
import { avatarConfig } from '../src/config/avatar.config';
import { inLanes } from './measure';

/**
 * `configured`: the image work the worker does with its default settings (AVATAR_CROP's strategy for the square, and
 * the ThumbHash placeholder); the goals are judged against it. `issue`: the list issue 7 measured against when the
 * crop was always centred and there was no placeholder, shown for comparison.
 */
export type CeilingWork = 'configured' | 'issue';

export interface CeilingRun {
  perSec: number;
  cpuMsPerJob: number;
}

/**
 * The image work of one avatar done with plain sharp, straight from memory: auto-orient, one 512 cover crop,
 * WebP 512/256/128/64 and a mozjpeg q82 512 (and, as configured, the crop strategy and the 32×32 ThumbHash). What
 * no service around it can beat on the same files and cores.
 */
async function imageWork(photo: Buffer, work: CeilingWork, position: string | number): Promise<void> {
  const { data, info } = await sharp(photo).rotate().resize(512, 512, { fit: 'cover', position }).raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const placeholder = async () => {
    const small = await sharp(data, raw).resize(32, 32).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    thumbhash.rgbaToThumbHash(small.info.width, small.info.height, small.data);
  };
  await Promise.all([
    ...[512, 256, 128, 64].map((size) => sharp(data, raw).resize(size, size).webp().toBuffer()),
    sharp(data, raw).jpeg({ mozjpeg: true, quality: 82 }).toBuffer(),
    ...(work === 'configured' ? [placeholder()] : []),
  ]);
}

/** In a fresh process, so nothing the bench itself holds or runs counts against it. */
export function measureCeiling(files: string[], jobs: number, lanes: number, work: CeilingWork): Promise<CeilingRun> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [work, String(jobs), String(lanes), ...files], { execArgv: ['-r', 'ts-node/register/transpile-only'] });
    child.once('message', (run) => resolve(run as CeilingRun));
    child.once('error', reject);
    child.once('exit', (code) => code === 0 || reject(new Error(`ceiling run exited with ${code}`)));
  });
}

async function measureHere(work: CeilingWork, jobs: number, lanes: number, files: string[]): Promise<CeilingRun> {
  sharp.cache(false);
  const photos = await Promise.all(files.map((file) => readFile(file)));
  const crop = avatarConfig().cropStrategy;
  const position = work === 'issue' || crop === 'centre' ? 'centre' : sharp.strategy[crop];
  await imageWork(photos[0], work, position); // loads the codecs and starts libvips' threads outside the measurement
  const cpu = process.cpuUsage();
  const started = performance.now();
  await inLanes(jobs, lanes, (i) => imageWork(photos[i % photos.length], work, position));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSec: jobs / seconds, cpuMsPerJob: (used.user + used.system) / 1000 / jobs };
}

if (require.main === module) {
  const [work, jobs, lanes, ...files] = process.argv.slice(2);
  void measureHere(work as CeilingWork, Number(jobs), Number(lanes), files).then((run) => process.send!(run, () => process.exit(0)));
}
