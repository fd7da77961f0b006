import { registerAs } from '@nestjs/config';

// validateEnv refuses to start without a real JWT_SECRET outside development.
const DEV_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

/** How clients reach this API: the base of local avatar URLs and of the local driver's direct-upload URL. */
export function apiBaseUrlFromEnv(): string {
  return (process.env.API_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
}

export function jwtSecretFromEnv(): string {
  return process.env.JWT_SECRET || DEV_JWT_SECRET;
}

export const appConfig = registerAs('app', () => {
  return {
    env: process.env.NODE_ENV ?? 'development',
    port: Number(process.env.PORT ?? 3000),
    /** The address the API binds to: loopback unless told otherwise (containers set 0.0.0.0). */
    host: process.env.HOST ?? '127.0.0.1',
    apiBaseUrl: apiBaseUrlFromEnv(),
    jwtSecret: jwtSecretFromEnv(),
    usesDevelopmentJwtSecret: !process.env.JWT_SECRET,
    jwtExpiresInSec: Number(process.env.JWT_EXPIRES_IN ?? 3600),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000),
    /** Lifetime of the admin session cookie (the queue dashboard's browser login). */
    adminSessionTtlSec: Number(process.env.ADMIN_SESSION_TTL_SEC ?? 900),
  };
});
