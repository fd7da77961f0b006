import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { photoLikeJpeg } from '../test/fixtures/photo-like';

export const PHOTO_SIZES: Array<[width: number, height: number]> = [
  [1200, 900],
  [4000, 3000],
];
const DISTINCT_PHOTOS = 4;

/** A few different realistic photos of one size, as files. */
export async function writePhotos(dir: string, width: number, height: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < DISTINCT_PHOTOS; i++) {
    const file = join(dir, `${width}x${height}-${i}.jpg`);
    await writeFile(file, await photoLikeJpeg(width, height, 1000 + width + i));
    files.push(file);
  }
  return files;
}
