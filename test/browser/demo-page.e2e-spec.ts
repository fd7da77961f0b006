import { resolve } from 'node:path';
import { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { QiniuEmulator } from '../qiniu-emulator/qiniu-emulator';
import { launchChromium, openPage } from '../support/browser';
import { ApiClient, fetchBytes } from '../support/client';
import { qiniuEnv, startQiniuEmulator } from '../support/qiniu';
import { Stack } from '../support/stack';

const SAMPLE = resolve(__dirname, '../../docs/sample-avatar.jpg');

interface Observed {
  uploadUrl?: string;
  posted: string[];
  crop?: { x: number; y: number; width: number; height: number };
  eventStreamType?: string;
}

/** Records what the page sends and receives, and every state the avatar frame and the status line go through. */
async function observe(page: Page): Promise<Observed> {
  const observed: Observed = { posted: [] };
  page.on('request', (request) => {
    if (request.method() === 'POST') observed.posted.push(request.url());
    if (request.url().endsWith('/users/me/avatar/confirm')) observed.crop = request.postDataJSON().crop;
  });
  page.on('response', async (response) => {
    if (response.url().endsWith('/events')) observed.eventStreamType = response.headers()['content-type'];
    if (response.url().endsWith('/users/me/avatar/upload-token')) observed.uploadUrl = (await response.json()).uploadUrl;
  });
  await page.evaluate(() => {
    const log: string[] = ((window as any).stateLog = []);
    const frame = document.querySelector<HTMLElement>('.avatar-frame')!;
    const stage = document.getElementById('stage')!;
    new MutationObserver(() => log.push(`frame:${frame.dataset.state}`)).observe(frame, { attributeFilter: ['data-state'] });
    new MutationObserver(() => log.push(`stage:${stage.textContent}`)).observe(stage, { childList: true, characterData: true, subtree: true });
  });
  return observed;
}

async function signUp(page: Page, username: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', 'correct horse battery');
  await page.click('#register');
  await page.waitForSelector('#profile', { state: 'visible' });
}

/** Zooms in twice and drags the picture so the selection moves towards its top-left corner. */
async function cropTopLeft(page: Page): Promise<void> {
  await page.waitForSelector('#editor', { state: 'visible' });
  await page.$eval('#zoom', (input: HTMLInputElement) => {
    input.value = '2';
    input.dispatchEvent(new Event('input'));
  });
  const box = (await page.locator('#crop').boundingBox())!;
  await page.mouse.move(box.x + 100, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + 250, box.y + 250, { steps: 5 });
  await page.mouse.up();
}

/** Mean absolute difference per channel between two images scaled to 32×32. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const pixels = (image: Buffer) => sharp(image).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [x, y] = await Promise.all([pixels(a), pixels(b)]);
  return x.reduce((sum, value, i) => sum + Math.abs(value - y[i]), 0) / x.length;
}

async function demoFlow(browser: Browser, stack: Stack, expectedUploadHost: string): Promise<Page> {
  const { page, problems } = await openPage(browser, `${stack.baseUrl}/`);
  const observed = await observe(page);
  const username = `page_${stack.id}`;
  await signUp(page, username);
  await page.setInputFiles('#file', SAMPLE);
  await cropTopLeft(page);
  await page.click('#upload');
  await page.waitForSelector('.avatar-frame[data-state="loaded"]', { timeout: 60_000 });
  await page.waitForSelector('#message.ok');

  // Uploaded straight to the store, with the crop chosen on the canvas, followed live over Server-Sent Events.
  expect(new URL(observed.uploadUrl!).host).toBe(expectedUploadHost);
  expect(observed.posted).toContain(observed.uploadUrl);
  expect(observed.eventStreamType).toMatch(/^text\/event-stream/);
  const crop = observed.crop!;
  expect(crop).toEqual({ x: expect.any(Number), y: expect.any(Number), width: 320, height: 320 });
  expect(crop.x).toBeLessThan(320);
  expect(crop.y).toBeLessThan(160);
  const log: string[] = await page.evaluate(() => (window as any).stateLog);
  expect(log).toContain('stage:Uploading… 100%');
  expect(log.indexOf('frame:placeholder')).toBeGreaterThanOrEqual(0);
  expect(log.indexOf('frame:placeholder')).toBeLessThan(log.lastIndexOf('frame:loaded'));
  expect(await page.$eval('.avatar-frame', (frame: HTMLElement) => frame.style.backgroundImage)).toMatch(/^url\("data:image\/png;base64,/);

  // The page shows the stored avatar, and the avatar is the region that was selected.
  const client = new ApiClient(stack.baseUrl);
  client.token = await page.evaluate(() => sessionStorage.getItem('avatar-pipeline.token')!);
  const me = (await client.request('GET', '/users/me')).body;
  // The smallest variant that fills the 96 px frame at a device pixel ratio of 1.
  expect(await page.$eval('#avatar', (img: HTMLImageElement) => img.src)).toBe(me.avatar.variants['128']);
  const stored = await fetchBytes(me.avatar.variants['512']);
  const selected = await sharp(SAMPLE).extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height }).toBuffer();
  const centre = await sharp(SAMPLE).extract({ left: 160, top: 0, width: 640, height: 640 }).toBuffer();
  expect(await difference(stored.bytes, selected)).toBeLessThan(6);
  expect(await difference(stored.bytes, centre)).toBeGreaterThan(12);
  expect(problems).toEqual([]);
  return page;
}

describe('the demo page (headless Chromium)', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe('with the local driver', () => {
    // Three uploads (tokens) per user and minute: the refusals below use them up, then meet the throttle.
    const stack = new Stack({ env: { AVATAR_MAX_BYTES: String(200 * 1024), UPLOAD_THROTTLE_LIMIT: '3', UPLOAD_THROTTLE_TTL_SEC: '60' } });

    beforeAll(() => stack.start());
    afterAll(() => stack.destroy());

    it('signs up, crops a picture, uploads it directly with progress, follows it live and shows the result', async () => {
      const page = await demoFlow(browser, stack, new URL(stack.baseUrl).host);
      await page.screenshot({ path: resolve(stack.dir, 'demo-page.png'), fullPage: true });
      if (process.env.DEMO_SCREENSHOT) await page.screenshot({ path: process.env.DEMO_SCREENSHOT, fullPage: true });

      await page.click('#remove');
      await page.waitForSelector('.avatar-frame[data-state="empty"]');
      expect(await page.textContent('#message')).toBe('Your avatar was removed.');
      await page.close();
    });

    it('explains refusals in words: not an image, a file too large, a picture that cannot be decoded, too many uploads', async () => {
      const { page, problems } = await openPage(browser, `${stack.baseUrl}/`);
      await signUp(page, `refusals_${stack.id}`);

      await page.setInputFiles('#file', { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text, not a picture') });
      await page.waitForSelector('#message:not(.ok):not([hidden])');
      expect(await page.textContent('#message')).toBe('That file is not an image we can use. Please choose a JPEG, PNG, WebP, GIF or AVIF picture.');

      const huge = await sharp({ create: { width: 1200, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
      await page.setInputFiles('#file', { name: 'noise.png', mimeType: 'image/png', buffer: huge });
      await page.click('#upload');
      await page.waitForFunction(() => document.getElementById('message')!.textContent!.includes('too large'));
      expect(await page.textContent('#message')).toBe('That picture is too large. Please choose a smaller file.');
      await page.click('#cancel');

      // JPEG magic bytes and nothing else: the store takes it, the worker cannot decode it.
      const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]);
      await page.setInputFiles('#file', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: broken });
      await page.waitForFunction(() => document.getElementById('message')!.textContent!.includes('could not read'), undefined, { timeout: 60_000 });
      expect(await page.textContent('#message')).toBe('We could not read that picture: the file seems damaged or incomplete. Please try another one.');

      await page.setInputFiles('#file', SAMPLE);
      await page.click('#upload');
      await page.waitForFunction(() => document.getElementById('message')!.textContent!.includes('too fast'));
      expect(await page.textContent('#message')).toMatch(/^You are going a bit too fast\. Please wait \d+ seconds and try again\.$/);
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  describe('with Qiniu (the emulator)', () => {
    let emulator: QiniuEmulator;
    let stack: Stack;

    beforeAll(async () => {
      emulator = await startQiniuEmulator();
      stack = await new Stack({ env: qiniuEnv(emulator) }).start();
    });
    afterAll(async () => {
      await stack?.destroy();
      await emulator?.stop();
    });

    it('uploads to the up host across origins (CORS) and shows the avatar served by the bucket domain', async () => {
      const page = await demoFlow(browser, stack, emulator.hostPort);
      expect(await page.$eval('#avatar', (img: HTMLImageElement) => new URL(img.src).host)).toBe(emulator.hostPort);
      await page.close();
    });
  });
});
