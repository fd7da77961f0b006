import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scanBombJpeg } from '../../test/fixtures/scan-bomb';
import { JpegScanCounter, countJpegScans } from './jpeg-scan-counter';

function scansIn(bytes: Buffer, chunkSize: number): number {
  const counter = new JpegScanCounter();
  for (let i = 0; i < bytes.length; i += chunkSize) counter.write(bytes.subarray(i, i + chunkSize));
  return counter.scans;
}

const noise = (width: number, height: number) =>
  sharp(Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width, height, channels: 3 } });

describe('JpegScanCounter', () => {
  it.each([1, 7, 4096])('counts the scans of baseline, progressive and crafted JPEGs fed %i bytes at a time', async (chunkSize) => {
    const baseline = await noise(300, 200).jpeg().toBuffer();
    const progressive = await noise(300, 200).jpeg({ progressive: true }).toBuffer();
    const withMetadata = await noise(300, 200).withMetadata().jpeg({ progressive: true, quality: 95 }).toBuffer();

    expect(scansIn(baseline, chunkSize)).toBe(1);
    expect(scansIn(progressive, chunkSize)).toBe(10);
    expect(scansIn(withMetadata, chunkSize)).toBe(10);
    expect(scansIn(scanBombJpeg(512, 250), chunkSize)).toBe(251);
  });

  it('ignores segments that merely contain marker-like bytes, and stops at EOI', () => {
    const comment = Buffer.from([0xff, 0xfe, 0x00, 0x06, 0xff, 0xda, 0xff, 0xda]); // COM holding two fake SOS markers
    const bomb = scanBombJpeg(64, 3);
    const withComment = Buffer.concat([bomb.subarray(0, 2), comment, bomb.subarray(2)]);
    const scansAfterEoi = Buffer.concat([bomb, scanBombJpeg(64, 50).subarray(2)]);

    expect(scansIn(withComment, 3)).toBe(4);
    expect(scansIn(scansAfterEoi, 3)).toBe(4);
  });

  it('counts nothing in what is not a JPEG', async () => {
    expect(scansIn(await noise(32, 32).png().toBuffer(), 5)).toBe(0);
    expect(scansIn(Buffer.from('\xff\xd9 hello'), 1)).toBe(0);
  });

  it('reads a file only as far as it needs to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scan-counter-'));
    try {
      const path = join(dir, 'bomb.jpg');
      await writeFile(path, scanBombJpeg(6000, 20_000));
      expect(await countJpegScans(path)).toBe(20_001);
      const stopped = await countJpegScans(path, 100);
      expect(stopped).toBeGreaterThan(100);
      expect(stopped).toBeLessThan(20_001);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
