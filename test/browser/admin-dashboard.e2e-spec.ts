import { Browser } from 'playwright-core';
import { launchChromium, openPage } from '../support/browser';
import { ApiClient } from '../support/client';
import { Stack } from '../support/stack';

describe('queue dashboard in a browser (headless Chromium)', () => {
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

  it('sends a visitor to the login form, and an admin who logs in sees both queues', async () => {
    const username = `admin_${stack.id}`;
    await new ApiClient(stack.baseUrl).signUp(username, 'correct horse battery');
    expect((await stack.cli(['make-admin', username])).code).toBe(0);

    const { page, problems } = await openPage(browser, `${stack.baseUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', 'correct horse battery');
    await page.click('button[type="submit"]');

    await page.waitForURL(`${stack.baseUrl}/admin/queues`);
    await page.getByText('maintenance', { exact: true }).first().waitFor();
    await page.getByText('avatars', { exact: true }).first().waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'admin_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.screenshot({ path: `${stack.dir}/dashboard.png` });
    expect(problems).toEqual([]);
  });
});
