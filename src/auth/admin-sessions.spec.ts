import { UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AdminSessions } from './admin-sessions';

const config = { jwtSecret: 'a'.repeat(32), adminSessionTtlSec: 900, apiBaseUrl: 'http://127.0.0.1:3000' } as never;

describe('AdminSessions', () => {
  const jwt = new JwtService({ secret: 'a'.repeat(32) });
  const sessions = new AdminSessions(jwt, config);

  it('verifies a session it issued', async () => {
    expect(await sessions.verify(await sessions.issue(42))).toBe(42);
  });

  it('refuses an access token, which is signed with another key', async () => {
    const accessToken = await jwt.signAsync({ sub: 42 });
    await expect(sessions.verify(accessToken)).rejects.toBeInstanceOf(UnauthorizedException);
  });

  it('refuses an expired session', async () => {
    const expired = await sessions.issue(42);
    const later = new AdminSessions(jwt, config);
    jest.useFakeTimers({ now: Date.now() + 901_000 });
    try {
      await expect(later.verify(expired)).rejects.toThrow('invalid or expired admin session');
    } finally {
      jest.useRealTimers();
    }
  });

  it('sets a cookie only the server reads, never sent cross-site, Secure behind https', () => {
    expect(sessions.cookieOptions()).toEqual({ httpOnly: true, sameSite: 'strict', secure: false, path: '/', maxAge: 900_000 });
    const behindTls = new AdminSessions(jwt, { ...(config as object), apiBaseUrl: 'https://api.example.com' } as never);
    expect(behindTls.cookieOptions().secure).toBe(true);
  });
});
