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
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).not.toThrow();
    expect(() => validateEnv({ NODE_ENV: 'development' })).not.toThrow();
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
