import { Cluster } from 'ioredis';
import { parseRedisTarget } from '../config/redis-target';
import { BrokerConnections } from './broker-connections';
import Redis from 'ioredis';
import { connectRedis, connectRedisSubscriber } from './redis-connection';

describe('connectRedis', () => {
  it('asks the sentinels for the named master, with the right credentials for each', () => {
    const target = parseRedisTarget('sentinel://:master-pw@127.0.0.1:26379;sentinel://127.0.0.1:26380/4', '{"master_name":"mymaster","sentinel_kwargs":{"password":"s-pw"}}');
    const redis = connectRedis(target, { lazyConnect: true, connectionName: 'test' });
    expect(redis.options).toMatchObject({
      sentinels: [
        { host: '127.0.0.1', port: 26379 },
        { host: '127.0.0.1', port: 26380 },
      ],
      name: 'mymaster',
      db: 4,
      password: 'master-pw',
      sentinelPassword: 's-pw',
      connectionName: 'test',
    });
    redis.disconnect();
  });

  it('opens a cluster client over the listed nodes, with per-node options', () => {
    const cluster = connectRedis(parseRedisTarget('redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001'), {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
    }) as Cluster;
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
    // Bull refuses blocking/subscriber clients whose (per-node) options allow a ready check or request retries.
    expect(cluster.options.redisOptions).toMatchObject({ password: 'pw', maxRetriesPerRequest: null, enableReadyCheck: false });
    cluster.disconnect();
  });
});

describe('connectRedisSubscriber', () => {
  it("subscribes through one plain connection to a cluster's first node, where pub/sub reaches every node", () => {
    const subscriber = connectRedisSubscriber(parseRedisTarget('redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001'), { lazyConnect: true });
    expect(subscriber).toBeInstanceOf(Redis);
    expect(subscriber.options).toMatchObject({ host: '127.0.0.1', port: 7000, password: 'pw', enableReadyCheck: false });
    subscriber.disconnect();
  });

  it('is an ordinary connection for the other forms', () => {
    const subscriber = connectRedisSubscriber(parseRedisTarget('sentinel://127.0.0.1:26379', '{"master_name":"m"}'), { lazyConnect: true });
    expect(subscriber.options).toMatchObject({ name: 'm', sentinels: [{ host: '127.0.0.1', port: 26379 }] });
    subscriber.disconnect();
  });
});

describe('BrokerConnections', () => {
  it('still holds BROKER_POOL_LIMIT with a Sentinel target', () => {
    const target = parseRedisTarget('sentinel://127.0.0.1:1', '{"master_name":"m"}');
    const connections = new BrokerConnections(target, 3, 'limit-test', 2000);
    const lazy = { lazyConnect: true };
    const client = connections.create('client', lazy);
    expect(connections.create('client', lazy)).toBe(client);
    const opened = [client, connections.create('subscriber', lazy), connections.create('bclient', lazy)];
    expect(() => connections.create('bclient', lazy)).toThrow(/BROKER_POOL_LIMIT=3 is too low/);
    expect(connections.count).toBe(3);
    opened.forEach((connection) => connection.disconnect());
  });
});
