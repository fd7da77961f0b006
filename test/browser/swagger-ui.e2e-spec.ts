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

  it('documents error answers with the error schema on every route that can fail, and a schema for /health', async () => {
    const document = await (await fetch(`${stack.baseUrl}/docs-json`)).json();
    expect(document.components.schemas.ErrorResponseDto).toMatchObject({ required: ['statusCode', 'message', 'error'] });
    // Pages for people rather than API calls, which answer with a page or a redirect whatever happens.
    // Liveness answers 200 whenever the process can answer at all.
    const cannotFail = ['get /admin/login', 'get /admin/logout', 'delete /admin/session', 'get /health/live'];
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        const errors = Object.entries<any>(operation.responses).filter(([status]) => Number(status) >= 400);
        const documented = errors.length > 0 && errors.every(([, r]) => r.content?.['application/json']?.schema?.$ref === '#/components/schemas/ErrorResponseDto');
        if (!documented && !cannotFail.includes(`${method} ${path}`)) undocumented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(document.paths['/users/me/avatar'].post.responses).toHaveProperty('415');
    expect(document.paths['/health'].get.responses['200'].content['application/json'].schema).toMatchObject({ type: 'object' });
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
