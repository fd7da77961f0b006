/** A Redis node as `host:port`. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Credentials for one kind of connection; never printed. */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

/**
 * Where a Redis lives, in the three forms Celery users write: one server (`redis://`, `rediss://`), a master found
 * through Sentinel (`sentinel://h1:26379;sentinel://h2:26379` plus `{"master_name": …}`), or a Redis Cluster
 * (`redis+cluster://h1:7000,h2:7001`, the scheme of the celery-redis-cluster backend).
 */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'sentinel';
      sentinels: RedisNode[];
      masterName: string;
      db: number;
      master: RedisCredentials;
      sentinel: RedisCredentials;
    }
  | { mode: 'cluster'; nodes: RedisNode[]; tls: boolean; credentials: RedisCredentials };

/** kombu's transport options that mean something here; anything else is refused rather than silently ignored. */
interface TransportOptions {
  master_name?: string;
  db?: number;
  sentinel_kwargs?: { password?: string; username?: string };
}

const TRANSPORT_OPTIONS = ['master_name', 'db', 'sentinel_kwargs'];
const SENTINEL_KWARGS = ['password', 'username'];
const NODE = /^(?:([^:@/]*)(?::([^@/]*))?@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})(?:\/(\d+))?\/?$/;

/** A configuration mistake in the URL or in its transport options; the message never quotes either (passwords). */
export class RedisTargetError extends Error {
  constructor(
    message: string,
    readonly about: 'url' | 'options' = 'url',
  ) {
    super(message);
  }
}

/** Reads a BROKER_URL / RESULT_BACKEND value with its *_TRANSPORT_OPTIONS (JSON, kombu's names). */
export function parseRedisTarget(url: string, transportOptions?: string): RedisTarget {
  const options = parseTransportOptions(transportOptions);
  const scheme = /^([a-z+]+):\/\//.exec(url)?.[1];
  if (scheme === 'redis' || scheme === 'rediss') {
    if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new RedisTargetError('must be a valid redis:// URL');
    if (options.master_name !== undefined) throw new RedisTargetError('master_name applies to sentinel:// URLs only', 'options');
    return { mode: 'standalone', url };
  }
  if (scheme === 'sentinel') return sentinelTarget(url, options);
  if (scheme === 'redis+cluster' || scheme === 'rediss+cluster') return clusterTarget(url, scheme === 'rediss+cluster', options);
  throw new RedisTargetError(
    'must be a redis://, rediss://, sentinel://host:26379;sentinel://host2:26379 or redis+cluster://host:7000,host2:7001 URL',
  );
}

function sentinelTarget(url: string, options: TransportOptions): RedisTarget {
  if (!options.master_name) {
    throw new RedisTargetError('a sentinel:// URL needs the master\'s name in its transport options, e.g. {"master_name":"mymaster"}', 'options');
  }
  const parts = url.split(';').map((part) => part.trim()).filter(Boolean);
  const nodes = parts.map((part) => {
    if (!part.startsWith('sentinel://')) throw new RedisTargetError('every ;-separated part must start with sentinel://');
    return parseNode(part.slice('sentinel://'.length));
  });
  const withPassword = nodes.find((node) => node.password !== undefined);
  return {
    mode: 'sentinel',
    sentinels: nodes.map(({ host, port }) => ({ host, port })),
    masterName: options.master_name,
    // As in kombu: the URL's database and password are the master's; sentinel_kwargs are for the sentinels.
    db: options.db ?? nodes.find((node) => node.db !== undefined)?.db ?? 0,
    master: credentials(withPassword?.username, withPassword?.password),
    sentinel: credentials(options.sentinel_kwargs?.username, options.sentinel_kwargs?.password),
  };
}

function clusterTarget(url: string, tls: boolean, options: TransportOptions): RedisTarget {
  if (options.master_name !== undefined) throw new RedisTargetError('master_name applies to sentinel:// URLs only', 'options');
  if (options.db) throw new RedisTargetError('a Redis Cluster has database 0 only', 'options');
  // Both `redis+cluster://h1:7000,h2:7001` and `redis+cluster://h1:7000;redis+cluster://h2:7001`.
  const hosts = url
    .split(';')
    .map((part) => part.trim().replace(/^rediss?\+cluster:\/\//, ''))
    .filter(Boolean)
    .flatMap((part) => {
      const auth = /^([^@/]*@)/.exec(part)?.[1] ?? '';
      return part
        .slice(auth.length)
        .split(',')
        .map((host, i) => (i === 0 ? auth + host : host));
    });
  const nodes = hosts.map(parseNode);
  if (nodes.some((node) => node.db !== undefined && node.db !== 0)) throw new RedisTargetError('a Redis Cluster has database 0 only');
  const withPassword = nodes.find((node) => node.password !== undefined);
  return {
    mode: 'cluster',
    nodes: nodes.map(({ host, port }) => ({ host, port })),
    tls,
    credentials: credentials(withPassword?.username, withPassword?.password),
  };
}

function parseNode(text: string): RedisNode & RedisCredentials & { db?: number } {
  const match = NODE.exec(text);
  if (!match) throw new RedisTargetError('each node must be written host:port (optionally [user:password@]host:port[/db])');
  const [, user, password, host, port, db] = match;
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) throw new RedisTargetError('a port must be between 1 and 65535');
  return {
    host: host.replace(/^\[|\]$/g, ''),
    port: portNumber,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
    ...(db !== undefined ? { db: Number(db) } : {}),
  };
}

function parseTransportOptions(json: string | undefined): TransportOptions {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new RedisTargetError('transport options must be a JSON object, e.g. {"master_name":"mymaster"}', 'options');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RedisTargetError('transport options must be a JSON object, e.g. {"master_name":"mymaster"}', 'options');
  }
  const options = parsed as Record<string, unknown>;
  const unknown = Object.keys(options).filter((key) => !TRANSPORT_OPTIONS.includes(key));
  if (unknown.length > 0) {
    throw new RedisTargetError(`unsupported transport option(s) ${unknown.join(', ')}; supported: ${TRANSPORT_OPTIONS.join(', ')}`, 'options');
  }
  if (options.master_name !== undefined && (typeof options.master_name !== 'string' || options.master_name === '')) {
    throw new RedisTargetError('master_name must be a non-empty string', 'options');
  }
  if (options.db !== undefined && !(Number.isInteger(options.db) && (options.db as number) >= 0)) {
    throw new RedisTargetError('db must be a whole number ≥ 0', 'options');
  }
  const kwargs = options.sentinel_kwargs;
  if (kwargs !== undefined) {
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
      throw new RedisTargetError('sentinel_kwargs must be a JSON object, e.g. {"password":"…"}', 'options');
    }
    const extra = Object.keys(kwargs).filter((key) => !SENTINEL_KWARGS.includes(key));
    if (extra.length > 0) throw new RedisTargetError(`unsupported sentinel_kwargs ${extra.join(', ')}; supported: password, username`, 'options');
    if (Object.values(kwargs).some((value) => typeof value !== 'string')) {
      throw new RedisTargetError('sentinel_kwargs values must be strings', 'options');
    }
  }
  return options as TransportOptions;
}

function credentials(username: string | undefined, password: string | undefined): RedisCredentials {
  return { ...(username ? { username } : {}), ...(password !== undefined && password !== '' ? { password } : {}) };
}

/**
 * Bull's keys of one queue must share a cluster hash slot, so with a Redis Cluster the prefix has to carry a hash
 * tag: `avatar-pipeline` becomes `{avatar-pipeline}`; a prefix that already has a non-empty `{tag}` is kept. Braces
 * that do not form one (`{}`, `a{b`, `a}b{`) would scatter the keys, so they are refused.
 */
export function clusterPrefix(prefix: string): string {
  const open = prefix.indexOf('{');
  const close = open >= 0 ? prefix.indexOf('}', open + 1) : -1;
  if (open >= 0 && close > open + 1) return prefix;
  if (open >= 0 || prefix.includes('}')) {
    throw new RedisTargetError(
      'QUEUE_PREFIX must contain a non-empty {hash tag} or no braces at all with a Redis Cluster (it is wrapped in braces then)',
    );
  }
  return `{${prefix}}`;
}
