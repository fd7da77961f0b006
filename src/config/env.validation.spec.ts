import { validateEnv } from './env.validation';

describe('validateEnv', () => {
  it('accepts an empty environment: every setting has a working default', () => {
    expect(validateEnv({})).toEqual({});
  });

  it.each(['TASK_SERIALIZER', 'RESULT_SERIALIZER', 'ACCEPT_CONTENT'])('refuses pickle in %s and says why', (name) => {
    expect(() => validateEnv({ [name]: name === 'ACCEPT_CONTENT' ? 'json,pickle' : 'pickle' })).toThrow(
      new RegExp(`${name}: pickle is Python-only and unsafe`),
    );
  });

  it('names every invalid variable in one message', () => {
    const invalid = { PORT: 'eighty', RESULT_EXPIRES: '-1', BROKER_URL: 'amqp://x', TASK_DEFAULT_RATE_LIMIT: '10 per s' };
    expect(() => validateEnv(invalid)).toThrow(/^Invalid configuration: /);
    const message = (() => {
      try {
        validateEnv(invalid);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of Object.keys(invalid)) expect(message).toContain(`${name}: `);
    expect(message).toContain('BROKER_URL: must be a redis://, rediss://, sentinel://');
  });

  it('accepts Sentinel and Cluster forms of BROKER_URL and RESULT_BACKEND, and names the variable at fault', () => {
    expect(() =>
      validateEnv({
        BROKER_URL: 'sentinel://s1:26379;sentinel://s2:26379',
        BROKER_TRANSPORT_OPTIONS: '{"master_name":"mymaster"}',
        RESULT_BACKEND: 'redis+cluster://h1:7000,h2:7001',
      }),
    ).not.toThrow();
    expect(() => validateEnv({ BROKER_URL: 'sentinel://s1:26379' })).toThrow(/BROKER_TRANSPORT_OPTIONS: a sentinel:\/\/ URL needs/);
    expect(() => validateEnv({ RESULT_BACKEND: 'sentinel://s1:26379', RESULT_BACKEND_TRANSPORT_OPTIONS: '{"master":"m"}' })).toThrow(
      /RESULT_BACKEND_TRANSPORT_OPTIONS: unsupported transport option\(s\) master/,
    );
  });

  it('refuses a QUEUE_PREFIX whose braces would break Bull on a Redis Cluster, and allows it elsewhere', () => {
    expect(() => validateEnv({ BROKER_URL: 'redis+cluster://h1:7000', QUEUE_PREFIX: 'a{b' })).toThrow(/QUEUE_PREFIX: .*hash tag/);
    expect(() => validateEnv({ BROKER_URL: 'redis+cluster://h1:7000', QUEUE_PREFIX: 'avatars' })).not.toThrow();
    expect(() => validateEnv({ QUEUE_PREFIX: '{avatars}' })).not.toThrow();
  });

  it('requires a real JWT_SECRET outside development', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: '3f9c1e7a5b2d8046c1f3e9a7b5d20486' })).not.toThrow();
    expect(() => validateEnv({ NODE_ENV: 'development' })).not.toThrow();
  });

  it.each([
    ['short', 'f3a9c1e7b5d2'],
    ['one character repeated', 'x'.repeat(40)],
    ['a short pattern repeated', 'abcabcabcabcabcabcabcabcabcabcabcabc'],
    ['a placeholder phrase', 'development-only-secret-do-not-use-in-production'],
    ['a run of neighbouring characters', 'abcdefghijklmnopqrstuvwxyz0123456789'],
  ])('refuses a weak JWT_SECRET (%s) in any environment, naming it without echoing it', (_, secret) => {
    for (const NODE_ENV of ['development', 'production']) {
      let message = '';
      try {
        validateEnv({ NODE_ENV, JWT_SECRET: secret });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/JWT_SECRET: /);
      expect(message).not.toContain(secret);
    }
  });

  it('accepts the security settings and refuses bad ones', () => {
    expect(() =>
      validateEnv({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173', SWAGGER_ENABLED: 'false', AUTH_MAX_CONCURRENT_HASHES: '4' }),
    ).not.toThrow();
    expect(() => validateEnv({ CORS_ORIGINS: '' })).not.toThrow();
    expect(() => validateEnv({ CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => validateEnv({ AUTH_MAX_CONCURRENT_HASHES: '0' })).toThrow(/AUTH_MAX_CONCURRENT_HASHES/);
  });

  it('requires the Qiniu credentials only when the Qiniu driver is chosen', () => {
    expect(() => validateEnv({ STORAGE_DRIVER: 'qiniu' })).toThrow(/QINIU_ACCESS_KEY.*QINIU_SECRET_KEY.*QINIU_BUCKET.*QINIU_PUBLIC_BASE_URL/);
    expect(() =>
      validateEnv({
        STORAGE_DRIVER: 'qiniu',
        QINIU_ACCESS_KEY: 'ak',
        QINIU_SECRET_KEY: 'sk',
        QINIU_BUCKET: 'avatars',
        QINIU_PUBLIC_BASE_URL: 'https://cdn.example.com',
      }),
    ).not.toThrow();
    expect(() => validateEnv({ STORAGE_DRIVER: 's3' })).toThrow(/STORAGE_DRIVER/);
  });

  it('never echoes a secret value in its message', () => {
    const secret = 'short-secret-value';
    try {
      validateEnv({ NODE_ENV: 'production', JWT_SECRET: secret });
      fail('expected a configuration error');
    } catch (error) {
      expect((error as Error).message).toMatch(/JWT_SECRET/);
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('checks time zones, rate limits and avatar sizes', () => {
    expect(() => validateEnv({ TIMEZONE: 'Europe/Berlin', TASK_DEFAULT_RATE_LIMIT: '600/m', AVATAR_SIZES: '256,64' })).not.toThrow();
    expect(() => validateEnv({ TIMEZONE: 'Moon/Base' })).toThrow(/TIMEZONE: unknown IANA time zone/);
    expect(() => validateEnv({ AVATAR_SIZES: '512,8' })).toThrow(/AVATAR_SIZES/);
  });

  it('wants positive whole numbers for the per-upload bounds', () => {
    const invalid = { AVATAR_MAX_JPEG_SCANS: '0', AVATAR_DECODE_TIMEOUT_SEC: 'soon', TASK_TIME_LIMIT: '-5' };
    for (const [name, value] of Object.entries(invalid)) expect(() => validateEnv({ [name]: value })).toThrow(new RegExp(`${name}: `));
    expect(validateEnv({ AVATAR_MAX_JPEG_SCANS: '12', AVATAR_DECODE_TIMEOUT_SEC: '5', TASK_TIME_LIMIT: '30' })).toBeDefined();
  });
});
