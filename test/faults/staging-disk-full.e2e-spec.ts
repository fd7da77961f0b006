import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { PrivateRedis } from '../support/private-redis';
import { Stack, eventually } from '../support/stack';
import { Burst, expectNothingLost, printFigures } from './burst';

/** A photo-sized JPEG of noise (noise does not compress): about `side`² / 2 bytes. */
const noisyJpeg = (side: number) =>
  sharp({ create: { width: side, height: side, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 95 })
    .toBuffer();

/**
 * The staging folder is a real 4 MiB tmpfs (mount works here as root; the test fails, not skips, where it does not),
 * filled by a ballast file until only ~300 KiB are left.
 */
describe('faults: the staging disk fills up', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let mounted = false;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    stack = new Stack({ env: { BROKER_URL: `${redis.url}/0`, RESULT_BACKEND: `${redis.url}/1`, RECONCILE_INTERVAL_SEC: '2' } });
    mkdirSync(stack.stagingDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', stack.stagingDir]);
    mounted = true;
    await stack.start();
  });
  afterAll(async () => {
    await Promise.all([...stack.api, ...stack.workers].map((p) => p.stop()));
    if (mounted) execFileSync('umount', [stack.stagingDir]);
    await stack?.destroy();
    await redis?.stop();
  });

  it('507 with a clear message and no partial file; the API keeps serving; accepted uploads end done', async () => {
    const ballast = join(stack.stagingDir, 'ballast');
    writeFileSync(ballast, Buffer.alloc(4 * 1024 * 1024 - 300 * 1024));
    const burst = await new Burst(stack, 'staging disk full').signUp(6);
    const photo = await noisyJpeg(700);
    await burst.sendEach(Array.from({ length: 6 }, () => photo), 2);
    expect(burst.refused[507]).toBeGreaterThan(0);
    expect(burst.refusals[507]).toBe('the server has no room for uploads right now; try again later');
    // A refusal can reach the client a moment before the API has removed the partial file (multer answers as soon as
    // the request fails): give it a few seconds, no more.
    const strays = () => readdirSync(stack.stagingDir).filter((name) => name !== 'ballast' && !name.startsWith('work-'))
      .filter((name) => !burst.accepted.some((upload) => upload.uploadId === name));
    await eventually(async () => strays(), (names) => names.length === 0, 5000);
    expect((await fetch(`${stack.baseUrl}/health/live`)).status).toBe(200);

    rmSync(ballast);
    const freedAt = Date.now();
    await burst.sendEach([await noisyJpeg(200)], 1);
    const settled = await burst.settle(120_000);
    printFigures(burst.figures(settled, (Date.now() - freedAt) / 1000));
    expect(settled.filter((upload) => upload.status !== 'done')).toEqual([]);
    await expectNothingLost(stack, burst, settled);
  });
});
