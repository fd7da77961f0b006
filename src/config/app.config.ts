import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';

/** How clients reach this API: the base of local avatar URLs and of the local driver's direct-upload URL. */
export function apiBaseUrlFromEnv(): string {
  return (process.env.API_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
}

let generatedJwtSecret: string | undefined;

/**
 * JWT_SECRET, or, when it is unset (validateEnv allows that only in development), a random secret made once per
 * process: never a well-known value. Tokens signed with it die with the process and no other process accepts them.
 */
export function jwtSecretFromEnv(): string {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  generatedJwtSecret ??= randomBytes(32).toString('hex');
  return generatedJwtSecret;
}

/**
 * The environment for the processes a launcher starts (`npm run start:all`): its own, plus one JWT_SECRET that all
 * of them share, generated when unset, so a token signed by one is accepted by the others.
 */
export function environmentWithSharedJwtSecret(): { env: NodeJS.ProcessEnv; generated: boolean } {
  return { env: { ...process.env, JWT_SECRET: jwtSecretFromEnv() }, generated: !process.env.JWT_SECRET };
}

export const appConfig = registerAs('app', () => {
  return {
    env: process.env.NODE_ENV ?? 'development',
    port: Number(process.env.PORT ?? 3000),
    /** The address the API binds to: loopback unless told otherwise (containers set 0.0.0.0). */
    host: process.env.HOST ?? '127.0.0.1',
    apiBaseUrl: apiBaseUrlFromEnv(),
    jwtSecret: jwtSecretFromEnv(),
    usesGeneratedJwtSecret: !process.env.JWT_SECRET,
    jwtExpiresInSec: Number(process.env.JWT_EXPIRES_IN ?? 3600),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000),
    /** Lifetime of the admin session cookie (the queue dashboard's browser login). */
    adminSessionTtlSec: Number(process.env.ADMIN_SESSION_TTL_SEC ?? 900),
  };
});
