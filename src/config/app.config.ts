import { registerAs } from '@nestjs/config';

const DEV_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

export const appConfig = registerAs('app', () => {
  const port = Number(process.env.PORT ?? 3000);
  const apiBaseUrl = (process.env.API_BASE_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  return {
    env: process.env.NODE_ENV ?? 'development',
    port,
    /** How clients reach this API; the base of status URLs and of the local driver's direct-upload URL. */
    apiBaseUrl,
    jwtSecret: process.env.JWT_SECRET ?? DEV_JWT_SECRET,
    jwtExpiresInSec: Number(process.env.JWT_EXPIRES_IN ?? 3600),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30_000),
  };
});
