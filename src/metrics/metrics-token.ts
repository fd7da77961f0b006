import { createHash, timingSafeEqual } from 'node:crypto';

/** True when no METRICS_TOKEN is configured, or the Authorization header carries it as a bearer token. */
export function metricsAccessAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const offered = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  // Equal-length digests, so the comparison takes the same time whatever was offered.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(offered), digest(token));
}
