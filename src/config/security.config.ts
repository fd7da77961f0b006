import { registerAs } from '@nestjs/config';

const env = process.env;

/** Comma-separated origins, e.g. `https://app.example.com, http://localhost:5173`; empty or unset means none. */
export function parseOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/** Request budgets, the login backoff, the password-hashing cap and the HTTP surface (CORS, Swagger, proxies). */
export const securityConfig = registerAs('security', () => ({
  /** Per client IP, for all of /auth together. */
  authThrottle: { limit: Number(env.AUTH_THROTTLE_LIMIT ?? 60), ttlSec: Number(env.AUTH_THROTTLE_TTL_SEC ?? 60) },
  /** Per user, for POST /users/me/avatar and POST /users/me/avatar/upload-token together. */
  uploadThrottle: { limit: Number(env.UPLOAD_THROTTLE_LIMIT ?? 60), ttlSec: Number(env.UPLOAD_THROTTLE_TTL_SEC ?? 60) },
  loginLockout: {
    freeFailures: Number(env.AUTH_LOGIN_FREE_FAILURES ?? 5),
    baseSec: Number(env.AUTH_LOCKOUT_BASE_SEC ?? 1),
    maxSec: Number(env.AUTH_LOCKOUT_MAX_SEC ?? 900),
  },
  maxConcurrentHashes: Number(env.AUTH_MAX_CONCURRENT_HASHES ?? 2),
  corsOrigins: parseOrigins(env.CORS_ORIGINS),
  swaggerEnabled: env.SWAGGER_ENABLED ? env.SWAGGER_ENABLED === 'true' : (env.NODE_ENV ?? 'development') !== 'production',
  /** How many reverse proxies in front of the API append to X-Forwarded-For; 0 trusts none (req.ip is the peer). */
  trustProxyHops: Number(env.TRUST_PROXY_HOPS ?? 0),
}));
