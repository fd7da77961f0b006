import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, freePort } from './support/stack';

describe('hardened HTTP (API and worker as separate processes)', () => {
  const stack = new Stack({ env: { CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' } });
  let client: ApiClient;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('sends helmet headers on every response, errors included', async () => {
    for (const path of ['/users/me', '/users/999999', '/docs-json']) {
      const { headers } = await client.request('GET', path);
      expect(headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=/); // browsers heed it only over HTTPS
      expect(headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers a CORS preflight for a configured origin, including the direct-upload endpoint, and nothing for others', async () => {
    for (const [path, method] of [['/users/me/avatar', 'POST'], ['/storage/local/upload', 'POST'], ['/auth/login', 'POST']]) {
      const allowed = await fetch(`${stack.baseUrl}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-methods')).toContain(method);
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    }
    const other = await fetch(`${stack.baseUrl}/users/me`, { headers: { origin: 'https://evil.example.net' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${stack.baseUrl}/users/${client.userId}`, { headers: { origin: 'http://localhost:5173' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(simple.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');
  });

  it('/static serves only the image types the service writes, sandboxed; never HTML; a directory is 404', async () => {
    const settled = await client.uploadAndSettle(await solidJpeg(64, 64, '#884422'));
    expect(settled.status).toBe('done');
    const me = (await client.request('GET', '/users/me')).body;
    const webp = await fetchBytes(me.avatarUrl);
    expect(webp.status).toBe(200);
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect(webp.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(webp.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetchBytes(me.avatar.jpeg)).headers.get('content-type')).toBe('image/jpeg');

    // What a forged direct-upload grant or a mistake could leave in storage.
    const folder = join(stack.storageDir, 'avatars', String(client.userId));
    writeFileSync(join(folder, 'profile.html'), '<script>alert(document.cookie)</script>');
    writeFileSync(join(folder, 'x.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    mkdirSync(join(folder, 'nested.jpg'));
    for (const name of ['profile.html', 'x.svg']) {
      const reply = await fetchBytes(`${stack.baseUrl}/static/avatars/${client.userId}/${name}`);
      expect(reply.status).toBe(404);
      expect(reply.headers.get('content-type')).not.toMatch(/html|svg/);
    }
    for (const path of [`avatars/${client.userId}`, `avatars/${client.userId}/`, `avatars/${client.userId}/nested.jpg`, 'avatars']) {
      const reply = await client.request('GET', `/static/${path}`);
      expect(reply.status).toBe(404);
      expect(reply.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });

  it('refuses deeply nested JSON with 400 before validation, and still takes normal bodies', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    for (const path of ['/auth/login', '/users/me/avatar/upload-token']) {
      const reply = await client.request('POST', path, undefined, { 'content-type': 'application/json' });
      expect(reply.status).not.toBe(500);
      const nested = await fetch(`${stack.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${client.token}` },
        body: deep,
      });
      expect(nested.status).toBe(400);
      expect(await nested.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/nested/) });
      const object = await fetch(`${stack.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${client.token}` },
        body: '{"a":'.repeat(40) + '1' + '}'.repeat(40),
      });
      expect(object.status).toBe(400);
    }
    expect((await client.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/png', size: 1000 })).status).toBe(201);
  });

  it('serves Swagger UI and /docs-json outside production', async () => {
    expect((await fetch(`${stack.baseUrl}/docs`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/docs-json`)).status).toBe(200);
  });

  it('in production hides Swagger; without CORS_ORIGINS sends no CORS headers', async () => {
    const port = await freePort();
    await stack.startApi({ NODE_ENV: 'production', PORT: String(port), CORS_ORIGINS: '' });
    const production = `http://127.0.0.1:${port}`;
    expect((await fetch(`${production}/docs`)).status).toBe(404);
    expect((await fetch(`${production}/docs-json`)).status).toBe(404);
    const preflight = await fetch(`${production}/users/me/avatar`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${production}/users/${client.userId}`, { headers: { origin: 'https://app.example.com' } });
    expect(simple.status).toBe(200);
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    // SWAGGER_ENABLED=true turning it back on in production: src/config/security.config.spec.ts.
  });
});
