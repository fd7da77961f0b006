import { ApiClient, fetchBytes } from './support/client';
import { requestFrom } from './support/from-address';
import { solidJpeg } from './support/images';
import { Stack, sleep } from './support/stack';

const PASSWORD = 'correct horse battery';

/** Limits low enough to reach quickly; every other setting is the default. */
const stack = new Stack({
  env: { AUTH_THROTTLE_LIMIT: '40', AUTH_THROTTLE_TTL_SEC: '60', AUTH_LOCKOUT_BASE_SEC: '3', UPLOAD_THROTTLE_LIMIT: '3' },
});
const login = (from: string, username: string, password: string) =>
  requestFrom(from, 'POST', `${stack.baseUrl}/auth/login`, { username, password });

/** A registered, signed-in user whose /auth requests came from `address` (each test uses its own addresses). */
async function userFrom(address: string): Promise<{ client: ApiClient; username: string }> {
  const username = `user_${Math.random().toString(36).slice(2, 10)}`;
  const registered = await requestFrom(address, 'POST', `${stack.baseUrl}/auth/register`, { username, password: PASSWORD });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const client = new ApiClient(stack.baseUrl);
  client.userId = registered.body.id;
  client.token = (await login(address, username, PASSWORD)).body.accessToken;
  return { client, username };
}

beforeAll(() => stack.start());
afterAll(() => stack.destroy());

describe('throttled authentication (API and worker as separate processes)', () => {
  it('a login flood from one IP gets 429 with Retry-After; a real user from another IP still logs in', async () => {
    const { username } = await userFrom('127.0.0.2');
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof login>> | undefined;
    await Promise.all(
      Array.from({ length: 6 }, async (_, lane) => {
        for (let i = 0; i < 12; i++) {
          const reply = await login('127.0.0.1', `flood_${lane}_${i}`, 'wrong password');
          statuses.push(reply.status);
          if (reply.status === 429) throttled = reply;
        }
      }),
    );
    expect(statuses.every((s) => [401, 429, 503].includes(s))).toBe(true);
    expect(throttled).toBeDefined();
    expect(Number(throttled!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled!.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/retry in \d+ s/) });

    expect((await login('127.0.0.1', username, PASSWORD)).status).toBe(429);
    // With TRUST_PROXY_HOPS=0 (the default) a forged X-Forwarded-For does not buy a fresh budget.
    const spoofed = await requestFrom('127.0.0.1', 'POST', `${stack.baseUrl}/auth/login`, { username, password: PASSWORD }, { 'x-forwarded-for': '203.0.113.9' });
    expect(spoofed.status).toBe(429);
    // The queue dashboard's password login shares the budget.
    expect((await requestFrom('127.0.0.1', 'POST', `${stack.baseUrl}/admin/session`, { username, password: PASSWORD })).status).toBe(429);
    const elsewhere = await login('127.0.0.2', username, PASSWORD);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.accessToken).toEqual(expect.any(String));
  });

  it('30 wrong passwords: five are checked, then the username is locked for exponentially longer; success resets it', async () => {
    const from = '127.0.0.3';
    const { username } = await userFrom(from);
    const replies = [];
    for (let i = 0; i < 30; i++) replies.push(await login(from, username, `wrong password ${i}`));
    expect(replies.slice(0, 5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(replies[5].status).toBe(429);
    expect(replies[5].body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/failed logins/) });
    expect(Number(replies[5].headers['retry-after'])).toBe(3);
    // Locked answers cost no hash, so all 25 normally fit in the first 3 s lock; on a very slow machine one more
    // failure may slip in after it, and then the lock is 6 s.
    const failures = replies.filter((r) => r.status === 401).length;
    expect(failures).toBeLessThanOrEqual(6);
    expect(replies.every((r) => r.status === 401 || r.status === 429)).toBe(true);

    // The lock holds for the right password too (it is the username that is locked), from any address.
    const last = await login('127.0.0.4', username, PASSWORD);
    expect(last.status).toBe(429);

    await sleep(Number(last.headers['retry-after']) * 1000 + 100);
    expect((await login(from, username, 'wrong again')).status).toBe(401);
    const doubled = await login(from, username, 'wrong again');
    expect(doubled.status).toBe(429);
    const expectedSec = 3 * 2 ** (failures + 1 - 5);
    expect(Number(doubled.headers['retry-after'])).toBeGreaterThanOrEqual(expectedSec - 1);
    expect(Number(doubled.headers['retry-after'])).toBeLessThanOrEqual(expectedSec);

    await sleep(Number(doubled.headers['retry-after']) * 1000 + 100);
    expect((await login(from, username, PASSWORD)).status).toBe(200);
    expect((await login(from, username, 'one more typo')).status).toBe(401);
    expect((await login(from, username, PASSWORD)).status).toBe(200);
  });

  it('beyond AUTH_MAX_CONCURRENT_HASHES, a request is refused at once with 503 and Retry-After, and creates nothing', async () => {
    const names = Array.from({ length: 16 }, (_, i) => `burst_${stack.id}_${i}`);
    const replies = await Promise.all(names.map((username) => requestFrom('127.0.0.5', 'POST', `${stack.baseUrl}/auth/register`, { username, password: PASSWORD })));
    const refused = replies.filter((r) => r.status === 503);
    const created = replies.filter((r) => r.status === 201);
    expect(refused.length + created.length).toBe(names.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(refused[0].body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
    const rows = await stack.query<{ username: string }>('SELECT username FROM users WHERE username LIKE ?', [`burst_${stack.id}_%`]);
    expect(rows.map((r) => r.username).sort()).toEqual(created.map((r) => r.body.username).sort());
  });

  it('a password stored by the previous scrypt profile still logs in, and is re-hashed with the current one', async () => {
    const { client, username } = await userFrom('127.0.0.9');
    // Made by the previous hasher (N=2^15, r=8, p=3) from PASSWORD, as such users' rows hold it.
    const previous = 'scrypt$32768$8$3$c2FsdHktc2FsdHktc2FsdA==$IZorUawzvAne833hBjjG1CRwmp3WbdyDUyMQu9MZpOg=';
    await stack.query('UPDATE users SET password_hash = ? WHERE id = ?', [previous, client.userId]);
    expect((await login('127.0.0.9', username, 'not the password')).status).toBe(401);
    expect((await login('127.0.0.9', username, PASSWORD)).status).toBe(200);
    const [row] = await stack.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', [client.userId]);
    expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect((await login('127.0.0.9', username, PASSWORD)).status).toBe(200);
  });

  it('upload and upload-token requests are limited per user (429 + Retry-After); another user is unaffected', async () => {
    const { client: busy } = await userFrom('127.0.0.6');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await busy.request('POST', '/users/me/avatar/upload-token', {})).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await busy.upload(await solidJpeg(32, 32, '#123456'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    const { client: other } = await userFrom('127.0.0.7');
    expect((await other.upload(await solidJpeg(32, 32, '#654321'))).status).toBe(202);
  });

  it('file serving keeps answering during a login flood from many addresses (figures printed, not asserted)', async () => {
    const { client: owner } = await userFrom('127.0.0.8');
    const done = await owner.uploadAndSettle(await solidJpeg(64, 64, '#336699'));
    expect(done.status).toBe('done');
    const avatarUrl = (await owner.request('GET', '/users/me')).body.avatarUrl as string;

    const timeStatic = async () => {
      const started = performance.now();
      const reply = await fetchBytes(avatarUrl);
      return { status: reply.status, ms: performance.now() - started };
    };
    const idle = [];
    for (let i = 0; i < 10; i++) idle.push(await timeStatic());

    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = 0; flooding; i++) await login(`127.0.1.${lane + 1}`, `flood_${lane}_${i % 30}`, 'wrong password');
      }),
    );
    await sleep(300);
    const busy = [];
    for (let i = 0; i < 20; i++) busy.push(await timeStatic());
    flooding = false;
    await flood;

    expect([...idle, ...busy].every((r) => r.status === 200)).toBe(true);
    const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`/static median: idle ${median(idle).toFixed(1)} ms, during a login flood ${median(busy).toFixed(1)} ms`);
  });
});
