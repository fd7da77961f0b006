import { createHmac } from 'node:crypto';
import { ApiClient } from './support/client';
import { Stack, freePort } from './support/stack';

// The value that used to sign tokens whenever JWT_SECRET was missing.
const OLD_DEVELOPMENT_SECRET = 'development-only-secret-do-not-use-in-production';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWT signed by hand, so a test can make the ones our API never would. */
function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  const algorithm = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg as string];
  return `${unsigned}.${algorithm ? createHmac(algorithm, secret).update(unsigned).digest('base64url') : ''}`;
}

describe('secrets and tokens (API and worker as separate processes)', () => {
  const stack = new Stack();
  let client: ApiClient;
  const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  const me = (token: string) => fetch(`${stack.baseUrl}/users/me`, { headers: { authorization: `Bearer ${token}` } });

  it('accepts only HS256 tokens with an expiry and an integer subject, signed with JWT_SECRET', async () => {
    const secret = stack.env.JWT_SECRET;
    const sub = client.userId;
    expect((await me(jwt({ alg: 'HS256', typ: 'JWT' }, { sub, exp: inOneHour() }, secret))).status).toBe(200);
    expect((await me(jwt({ alg: 'HS256', typ: 'JWT' }, { sub: String(sub), exp: inOneHour() }, secret))).status).toBe(200);

    const refused = {
      'alg none': jwt({ alg: 'none', typ: 'JWT' }, { sub, exp: inOneHour() }, secret),
      'alg HS512': jwt({ alg: 'HS512', typ: 'JWT' }, { sub, exp: inOneHour() }, secret),
      'no exp': jwt({ alg: 'HS256', typ: 'JWT' }, { sub }, secret),
      'expired': jwt({ alg: 'HS256', typ: 'JWT' }, { sub, exp: Math.floor(Date.now() / 1000) - 10 }, secret),
      'sub not a number': jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 'admin', exp: inOneHour() }, secret),
      'sub not an integer': jwt({ alg: 'HS256', typ: 'JWT' }, { sub: sub + 0.5, exp: inOneHour() }, secret),
      'no sub': jwt({ alg: 'HS256', typ: 'JWT' }, { exp: inOneHour() }, secret),
      'old development secret': jwt({ alg: 'HS256', typ: 'JWT' }, { sub, exp: inOneHour() }, OLD_DEVELOPMENT_SECRET),
    };
    for (const [name, token] of Object.entries(refused)) {
      const reply = await me(token);
      expect({ name, status: reply.status }).toEqual({ name, status: 401 });
      expect(await reply.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
  });

  it("refuses a deleted user's token with 401", async () => {
    const leaving = await new ApiClient(stack.baseUrl).signUp();
    expect((await leaving.request('GET', '/users/me')).status).toBe(200);
    await stack.query('DELETE FROM users WHERE id = ?', [leaving.userId]);
    const reply = await leaving.request('GET', '/users/me');
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect((await leaving.request('POST', '/users/me/avatar/upload-token', {})).status).toBe(401);
  });

  it('without JWT_SECRET in development, signs with a random secret and warns; no well-known secret works', async () => {
    const port = await freePort();
    const api = await stack.startApi({ NODE_ENV: 'development', JWT_SECRET: '', PORT: String(port) });
    expect(api.output).toMatch(/JWT_SECRET is not set/);
    const base = `http://127.0.0.1:${port}`;
    const forged = jwt({ alg: 'HS256', typ: 'JWT' }, { sub: client.userId, exp: inOneHour() }, OLD_DEVELOPMENT_SECRET);
    expect((await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    // Its own tokens work; the other API's (another secret) do not.
    const login = await new ApiClient(base).request('POST', '/auth/login', { username: (await client.request('GET', '/users/me')).body.username, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    expect((await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${login.body.accessToken}` } })).status).toBe(200);
    expect((await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${client.token}` } })).status).toBe(401);
  });

  it('refuses to start with a short or predictable JWT_SECRET, naming the variable without echoing it', async () => {
    for (const secret of ['short-secret', 'a'.repeat(40), 'abcabcabcabcabcabcabcabcabcabcabcabc', OLD_DEVELOPMENT_SECRET]) {
      const api = stack.spawn('main', { JWT_SECRET: secret, PORT: String(await freePort()) });
      expect(await api.waitForExit()).not.toBe(0);
      expect(api.output).toMatch(/JWT_SECRET/);
      expect(api.output).not.toContain(secret);
    }
  });

  it('a local direct-upload grant forged with the old public secret is refused (no stored XSS through /static)', async () => {
    const port = await freePort();
    await stack.startApi({ NODE_ENV: 'development', JWT_SECRET: '', PORT: String(port) });
    const grant = b64url({ key: `avatars/${client.userId}/profile.html`, maxBytes: 100_000, allowedTypes: ['text/html'], deadline: inOneHour() });
    const forged = `${grant}.${createHmac('sha256', `local-upload:${OLD_DEVELOPMENT_SECRET}`).update(grant).digest('base64url')}`;
    const form = new FormData();
    form.append('token', forged);
    form.append('key', `avatars/${client.userId}/profile.html`);
    form.append('file', new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), 'profile.html');
    expect((await fetch(`http://127.0.0.1:${port}/storage/local/upload`, { method: 'POST', body: form })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/static/avatars/${client.userId}/profile.html`)).status).toBe(404);
  });
});
