import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually } from './support/stack';

const DASHBOARD_API = '/admin/queues/api/queues';

/** A browser-like request: no bearer token, optional cookie, redirects not followed. */
async function browser(stack: Stack, method: string, path: string, init: { cookie?: string; form?: Record<string, string>; accept?: string } = {}) {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
  if (init.cookie) headers.cookie = init.cookie;
  const response = await fetch(new URL(path, stack.baseUrl), {
    method,
    headers,
    body: init.form ? new URLSearchParams(init.form) : undefined,
    redirect: 'manual',
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML or empty
  }
  return { status: response.status, headers: response.headers, body };
}

/** The `name=value` part of the admin session cookie a response set. */
function sessionCookieOf(headers: Headers): string {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('admin_session='));
  if (!cookie) throw new Error(`no admin_session cookie in ${JSON.stringify(headers.getSetCookie())}`);
  return cookie.split(';')[0];
}

describe('admin role, admin session and the queue dashboard (API and worker as separate processes)', () => {
  const stack = new Stack();
  const password = 'correct horse battery';
  let admin: ApiClient;
  let user: ApiClient;
  let adminName: string;

  beforeAll(async () => {
    await stack.start();
    adminName = `admin_${stack.id}`;
    admin = await new ApiClient(stack.baseUrl).signUp(adminName, password);
    user = await new ApiClient(stack.baseUrl).signUp(`user_${stack.id}`, password);
    const made = await stack.cli(['make-admin', adminName]);
    expect(made).toMatchObject({ code: 0 });
    expect(made.stdout).toContain(`${adminName} (id ${admin.userId}) is now an admin`);
  });
  afterAll(() => stack.destroy());

  it('keeps the role in MySQL; make-admin fails with a reason for an unknown user', async () => {
    const rows = await stack.query<{ id: number; role: string }>('SELECT id, role FROM users ORDER BY id');
    expect(rows).toEqual([
      { id: admin.userId, role: 'admin' },
      { id: user.userId, role: 'user' },
    ]);
    const unknown = await stack.cli(['make-admin', 'nobody_here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user "nobody_here"');
  });

  it('answers 401 without a token, 403 to a non-admin and 200 to an admin on the dashboard API', async () => {
    const anonymous = await browser(stack, 'GET', DASHBOARD_API);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });

    const forbidden = await user.request('GET', DASHBOARD_API);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ statusCode: 403, message: 'this needs the admin role', error: 'Forbidden' });

    const allowed = await admin.request('GET', DASHBOARD_API);
    expect(allowed.status).toBe(200);
    expect(allowed.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['avatars', 'maintenance']);
  });

  it('never takes a token from the query string', async () => {
    for (const name of ['token', 'access_token', 'accessToken', 'authorization']) {
      const reply = await browser(stack, 'GET', `${DASHBOARD_API}?${name}=${admin.token}`);
      expect(reply.status).toBe(401);
    }
    const session = await browser(stack, 'POST', `/admin/session?access_token=${admin.token}`);
    expect(session.status).toBe(401);
    expect(session.headers.getSetCookie()).toEqual([]);
  });

  it('sends a browser without a session to the login form', async () => {
    const page = await browser(stack, 'GET', '/admin/queues', { accept: 'text/html,application/xhtml+xml' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');

    const form = await browser(stack, 'GET', '/admin/login', { accept: 'text/html' });
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toContain('text/html');
    expect(form.body).toContain('<form method="post" action="/admin/session">');
  });

  it('logs an admin in through the login form with a short-lived HttpOnly SameSite=Strict cookie that opens the dashboard', async () => {
    const login = await browser(stack, 'POST', '/admin/session', { form: { username: adminName, password } });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin/queues');
    const [setCookie] = login.headers.getSetCookie();
    expect(setCookie).toMatch(/^admin_session=[^;]+; Max-Age=900; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);

    const cookie = sessionCookieOf(login.headers);
    const page = await browser(stack, 'GET', '/admin/queues', { cookie, accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('avatar-pipeline');
    const api = await browser(stack, 'GET', DASHBOARD_API, { cookie });
    expect(api.status).toBe(200);
    expect(api.body.queues).toHaveLength(2);

    const logout = await browser(stack, 'GET', '/admin/logout', { cookie });
    expect(logout.status).toBe(303);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^admin_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
  });

  it('refuses the form with the reason: 401 for a wrong password, 403 for a non-admin, and sets no cookie', async () => {
    const wrong = await browser(stack, 'POST', '/admin/session', { form: { username: adminName, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('invalid username or password');
    expect(wrong.headers.getSetCookie()).toEqual([]);

    const notAdmin = await browser(stack, 'POST', '/admin/session', { form: { username: `user_${stack.id}`, password } });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toContain('this needs the admin role');
    expect(notAdmin.headers.getSetCookie()).toEqual([]);
  });

  it('locks a username out of the login form after repeated failures, with Retry-After, like /auth/login', async () => {
    const name = `target_${stack.id}`;
    await new ApiClient(stack.baseUrl).signUp(name, password);
    const statuses: number[] = [];
    let locked: Awaited<ReturnType<typeof browser>> | undefined;
    for (let attempt = 0; attempt < 12 && !locked; attempt++) {
      const reply = await browser(stack, 'POST', '/admin/session', { form: { username: name, password: 'guessing wrong' } });
      statuses.push(reply.status);
      if (reply.status === 429) locked = reply;
    }
    expect(statuses[0]).toBe(401);
    expect(locked?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(locked?.body).toContain('too many failed logins');
    expect(locked?.headers.getSetCookie()).toEqual([]);
  });

  it("exchanges an admin's bearer token for a session cookie; a non-admin's gets 403, none gets 401", async () => {
    const exchanged = await admin.request('POST', '/admin/session');
    expect(exchanged.status).toBe(204);
    const cookie = sessionCookieOf(exchanged.headers);
    expect((await browser(stack, 'GET', DASHBOARD_API, { cookie })).status).toBe(200);

    expect((await user.request('POST', '/admin/session')).status).toBe(403);
    expect((await browser(stack, 'POST', '/admin/session')).status).toBe(401);

    const json = await new ApiClient(stack.baseUrl).request('POST', '/admin/session', { username: adminName, password });
    expect(json.status).toBe(204);
    expect(sessionCookieOf(json.headers)).toMatch(/^admin_session=.+/);
  });

  it('accepts no access token as a session cookie, and no session cookie as a bearer token', async () => {
    expect((await browser(stack, 'GET', DASHBOARD_API, { cookie: `admin_session=${admin.token}` })).status).toBe(401);
    const cookie = sessionCookieOf((await admin.request('POST', '/admin/session')).headers);
    const session = cookie.slice('admin_session='.length);
    const asBearer = await fetch(new URL(DASHBOARD_API, stack.baseUrl), { headers: { authorization: `Bearer ${session}` } });
    expect(asBearer.status).toBe(401);
  });

  it('lists a failed job with its payload decoded; retrying it from the dashboard completes the upload', async () => {
    // A file where the user's storage folder should be: every attempt to store fails until it is removed.
    const blocker = join(stack.storageDir, 'avatars', String(user.userId));
    mkdirSync(join(stack.storageDir, 'avatars'), { recursive: true });
    writeFileSync(blocker, 'not a folder');
    const accepted = await user.upload(await solidJpeg(320, 240, '#cc3366'));
    expect(accepted.status).toBe(202);
    const { uploadId, jobId } = accepted.body;
    expect(await user.settle(uploadId)).toMatchObject({ status: 'failed', attempts: 4 });

    const listing = await eventually(
      () => admin.request('GET', `${DASHBOARD_API}?activeQueue=avatars&status=failed&page=1&jobsPerPage=10`),
      (reply) => reply.body.queues?.find((q: { name: string }) => q.name === 'avatars')?.jobs.length > 0,
    );
    const avatars = listing.body.queues.find((q: { name: string }) => q.name === 'avatars');
    expect(avatars.counts.failed).toBe(1);
    const [failed] = avatars.jobs;
    expect(failed).toMatchObject({ id: jobId, name: 'upload-avatar', data: { uploadId } });
    expect(failed.failedReason).toMatch(/ENOTDIR|EEXIST|not a directory/);

    rmSync(blocker);
    // The same page's "retry" button.
    const retried = await admin.request('PUT', `/admin/queues/api/queues/avatars/${encodeURIComponent(jobId)}/retry`);
    expect(retried.status).toBe(204);
    // Until the worker takes the retried job the upload still reads `failed`: wait for `done` itself.
    const settled = (
      await eventually(
        () => user.request('GET', `/users/me/avatar/uploads/${uploadId}`),
        (reply) => reply.body.status === 'done',
      )
    ).body;
    expect(settled).toMatchObject({ status: 'done', attempts: 5 });
    expect(settled.error).toBeUndefined();
    expect((await user.request('GET', '/users/me')).body.avatarUrl).toBe(settled.avatarUrl);

    const after = await admin.request('GET', `${DASHBOARD_API}?activeQueue=avatars&status=failed&page=1&jobsPerPage=10`);
    expect(after.body.queues.find((q: { name: string }) => q.name === 'avatars').counts.failed).toBe(0);
  });

  it('lets only an admin retry from the dashboard', async () => {
    expect((await user.request('PUT', '/admin/queues/api/queues/avatars/any-id/retry')).status).toBe(403);
    expect((await browser(stack, 'PUT', '/admin/queues/api/queues/avatars/any-id/retry')).status).toBe(401);
  });
});
