import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { securityConfig } from '../config/security.config';
import { RetryLaterException } from '../http/retry-later.exception';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * OWASP's scrypt profile N=2^14, r=8, p=5 (16 MiB): the cheapest of its equivalent minimums here, since Node
 * computes the p lanes one after another (measured in README, "Security"). Stored hashes carry their own
 * parameters, so hashes made with older profiles (N=2^15, r=8, p=3 before) still verify.
 */
export const SCRYPT_PROFILE = { N: 2 ** 14, r: 8, p: 5 };
const KEY_LENGTH = 32;
// Room for any profile up to N=2^17, r=8 (128 MiB), OWASP's largest.
const MAX_MEMORY = 160 * 1024 * 1024;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** `scrypt$N$r$p$salt$key` (base64 salt and key). */
function encode(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

function decode(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !salt || !key || !Object.values(params).every((v) => Number.isInteger(v) && v > 0)) return null;
  return { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

// Compared against when the username is unknown, so a login takes as long whether or not the user exists.
const DECOY = encode(SCRYPT_PROFILE, Buffer.alloc(16), Buffer.alloc(KEY_LENGTH));

/**
 * Hashes and checks passwords with scrypt, at most AUTH_MAX_CONCURRENT_HASHES at once in this process. A hash
 * occupies a libuv thread for a while, and those threads also read the files /static serves; beyond the cap a
 * request is refused at once (503 + Retry-After) instead of queueing behind the others.
 */
@Injectable()
export class PasswordHasher {
  private running = 0;

  constructor(@Inject(securityConfig.KEY) private readonly config: ConfigType<typeof securityConfig>) {}

  hash(password: string): Promise<string> {
    return this.withSlot(async () => {
      const salt = randomBytes(16);
      const key = await scrypt(password, salt, KEY_LENGTH, { ...SCRYPT_PROFILE, maxmem: MAX_MEMORY });
      return encode(SCRYPT_PROFILE, salt, key);
    });
  }

  /** Checks a password against a stored hash, or against a decoy when there is none (unknown user). */
  verify(password: string, stored: string | undefined): Promise<boolean> {
    return this.withSlot(async () => {
      const decoded = decode(stored ?? DECOY);
      if (!decoded) return false;
      const actual = await scrypt(password, decoded.salt, decoded.key.length, { ...decoded.params, maxmem: MAX_MEMORY });
      return timingSafeEqual(actual, decoded.key) && stored !== undefined;
    });
  }

  /** Whether a stored hash was made with another profile than today's, and should be replaced at the next login. */
  needsRehash(stored: string): boolean {
    const params = decode(stored)?.params;
    return !params || params.N !== SCRYPT_PROFILE.N || params.r !== SCRYPT_PROFILE.r || params.p !== SCRYPT_PROFILE.p;
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.config.maxConcurrentHashes) {
      throw new RetryLaterException(503, 'the server is busy checking passwords; retry shortly', 1);
    }
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}
