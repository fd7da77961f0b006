import { resolve } from 'node:path';
import { Browser } from 'playwright-core';
import { launchChromium, openPage } from '../support/browser';
import { ApiClient } from '../support/client';
import { Stack } from '../support/stack';

const SAMPLE = resolve(__dirname, '../../docs/sample-avatar.jpg');

describe('Swagger UI (headless Chromium)', () => {
  const stack = new Stack();
  let browser: Browser;

  beforeAll(async () => {
    await stack.start();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack.destroy();
  });

  it('authorizes with a bearer token and uploads an avatar with Try it out: 202', async () => {
    const client = await new ApiClient(stack.baseUrl).signUp();
    const { page, problems } = await openPage(browser, `${stack.baseUrl}/docs`);

    await page.click('button.authorize');
    await page.fill('.auth-container input[type="text"]', client.token);
    await page.click('.auth-btn-wrapper button.authorize');
    await page.click('.auth-btn-wrapper button.btn-done');

    const operation = page.locator('#operations-avatars-AvatarsController_upload');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('input[type="file"]').setInputFiles(SAMPLE);
    await operation.locator('button.execute').click();

    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('202');
    const body = JSON.parse((await operation.locator('.live-responses-table .microlight').first().textContent())!);
    expect(await client.settle(body.uploadId)).toMatchObject({ status: 'done' });
    expect(problems).toEqual([]);
  });
});
