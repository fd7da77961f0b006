import { HttpStatus } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { securityConfig } from '../config/security.config';
import { RetryLaterException } from '../http/retry-later.exception';
import { PasswordHasher, SCRYPT_PROFILE } from './password-hasher';

// Made by the previous hasher (N=2^15, r=8, p=3), as stored in users.password_hash before the profile changed.
const OLD_FORMAT_HASH = 'scrypt$32768$8$3$c2FsdHktc2FsdHktc2FsdA==$IZorUawzvAne833hBjjG1CRwmp3WbdyDUyMQu9MZpOg=';

const hasherWith = (maxConcurrentHashes: number) =>
  new PasswordHasher({ maxConcurrentHashes } as ConfigType<typeof securityConfig>);

describe(PasswordHasher.name, () => {
  it('stores the profile with each hash and verifies it', async () => {
    const hasher = hasherWith(2);
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(new RegExp(`^scrypt\\$${SCRYPT_PROFILE.N}\\$${SCRYPT_PROFILE.r}\\$${SCRYPT_PROFILE.p}\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse batterY', stored)).toBe(false);
  });

  it('still verifies hashes made with the previous parameters', async () => {
    const hasher = hasherWith(2);
    expect(await hasher.verify('correct horse battery', OLD_FORMAT_HASH)).toBe(true);
    expect(await hasher.verify('wrong horse battery', OLD_FORMAT_HASH)).toBe(false);
    expect(hasher.needsRehash(OLD_FORMAT_HASH)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('correct horse battery'))).toBe(false);
  });

  it('never accepts a password without a stored hash (unknown user), nor a malformed hash', async () => {
    const hasher = hasherWith(2);
    expect(await hasher.verify('anything at all', undefined)).toBe(false);
    expect(await hasher.verify('anything at all', 'bcrypt$2b$10$whatever')).toBe(false);
    expect(await hasher.verify('anything at all', 'scrypt$x$8$1$c2FsdA==$a2V5')).toBe(false);
  });

  it('refuses at once, with 503 and Retry-After, beyond the concurrency cap; a slot frees when a hash ends', async () => {
    const hasher = hasherWith(2);
    const running = [hasher.hash('first password'), hasher.hash('second password')];
    const refused = await hasher.hash('third password').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RetryLaterException);
    expect((refused as RetryLaterException).getStatus()).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect((refused as RetryLaterException).retryAfterSec).toBe(1);
    expect((refused as RetryLaterException).getResponse()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    await Promise.all(running);
    await expect(hasher.hash('third password')).resolves.toMatch(/^scrypt\$/);
  });
});
