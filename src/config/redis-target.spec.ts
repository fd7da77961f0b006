import { clusterPrefix, parseRedisTarget } from './redis-target';

describe('parseRedisTarget', () => {
  it('keeps a plain redis:// or rediss:// URL as it is', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379/2')).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisTarget('rediss://:pw@cache.example.com:6380/0')).toMatchObject({ mode: 'standalone' });
  });

  it("reads Celery's Sentinel form: ;-separated sentinels, master_name from the transport options", () => {
    expect(parseRedisTarget('sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26380/3', '{"master_name":"mymaster"}')).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      masterName: 'mymaster',
      db: 3,
      master: {},
      sentinel: {},
    });
  });

  it("takes the master's password from the URL and the sentinels' from sentinel_kwargs, as kombu does", () => {
    const target = parseRedisTarget(
      'sentinel://:master%40pw@s1:26379;sentinel://s2:26379',
      '{"master_name":"m","db":2,"sentinel_kwargs":{"password":"sentinel-pw"}}',
    );
    expect(target).toMatchObject({ mode: 'sentinel', db: 2, master: { password: 'master@pw' }, sentinel: { password: 'sentinel-pw' } });
  });

  it('reads a Redis Cluster as redis+cluster:// with comma- or ;-separated nodes', () => {
    const expected = {
      mode: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      tls: false,
      credentials: { password: 'pw' },
    };
    expect(parseRedisTarget('redis+cluster://:pw@h1:7000,h2:7001')).toEqual(expected);
    expect(parseRedisTarget('redis+cluster://:pw@h1:7000;redis+cluster://h2:7001')).toEqual(expected);
    expect(parseRedisTarget('rediss+cluster://h1:7000')).toMatchObject({ mode: 'cluster', tls: true });
  });

  it.each([
    ['amqp://guest@rabbit:5672//', undefined, /must be a redis:\/\/, rediss:\/\/, sentinel:\/\//],
    ['sentinel://s1:26379', undefined, /needs the master's name.*master_name/],
    ['sentinel://s1:26379;redis://s2:6379', '{"master_name":"m"}', /every ;-separated part must start with sentinel:\/\//],
    ['sentinel://s1', '{"master_name":"m"}', /host:port/],
    ['sentinel://s1:99999', '{"master_name":"m"}', /port must be between 1 and 65535/],
    ['sentinel://s1:26379', '{master_name: m}', /must be a JSON object/],
    ['sentinel://s1:26379', '["m"]', /must be a JSON object/],
    ['sentinel://s1:26379', '{"master_name":"m","visibility_timeout":3600}', /unsupported transport option\(s\) visibility_timeout/],
    ['sentinel://s1:26379', '{"master_name":"m","sentinel_kwargs":{"socket_timeout":1}}', /unsupported sentinel_kwargs socket_timeout/],
    ['sentinel://s1:26379', '{"master_name":""}', /master_name must be a non-empty string/],
    ['sentinel://s1:26379', '{"master_name":"m","db":-1}', /db must be a whole number/],
    ['redis://127.0.0.1:6379/0', '{"master_name":"m"}', /master_name applies to sentinel:\/\/ URLs only/],
    ['redis+cluster://h1:7000/2', undefined, /database 0 only/],
  ])('refuses %s with %s', (url, options, message) => {
    expect(() => parseRedisTarget(url, options)).toThrow(message);
  });

  it('never quotes a password in its errors', () => {
    try {
      parseRedisTarget('sentinel://:hunter2-secret@s1', '{"master_name":"m"}');
      fail('expected an error');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2-secret');
    }
  });
});

describe('clusterPrefix', () => {
  it('wraps a plain prefix in a hash tag so that all of a queue\'s keys share one slot', () => {
    expect(clusterPrefix('avatar-pipeline')).toBe('{avatar-pipeline}');
  });

  it('keeps a prefix that already carries a non-empty hash tag', () => {
    expect(clusterPrefix('{avatars}')).toBe('{avatars}');
    expect(clusterPrefix('prod:{avatars}')).toBe('prod:{avatars}');
  });

  it.each(['{}', 'a{b', 'a}b', '{}x{y'])('refuses %s, whose braces would scatter the keys', (prefix) => {
    expect(() => clusterPrefix(prefix)).toThrow(/QUEUE_PREFIX must contain a non-empty \{hash tag\}/);
  });
});
