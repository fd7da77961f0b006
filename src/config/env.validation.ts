import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsIP,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  ValidationError,
  getMetadataStorage,
  validateSync,
} from 'class-validator';
import { RedisTargetError, clusterPrefix, parseRedisTarget } from './redis-target';

const PICKLE = 'pickle is Python-only and unsafe (unpickling runs arbitrary code); use json or msgpack';
const SERIALIZERS = ['json', 'msgpack'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'info', 'debug', 'verbose'];
const isQiniu = (env: Env) => env.STORAGE_DRIVER === 'qiniu';
const isProduction = (env: Env) => (env.NODE_ENV ?? 'development') !== 'development';
const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The only place that judges raw environment strings; the config namespaces only convert them. */
class Env {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) PORT?: number;
  @IsOptional() @IsIP() HOST?: string;
  @IsOptional() @IsUrl(url) API_BASE_URL?: string;
  @IsOptional() @IsUrl(url) PUBLIC_BASE_URL?: string;
  @IsOptional() @IsString() JWT_SECRET?: string;
  @IsOptional() @IsInt() @Min(60) JWT_EXPIRES_IN?: number;
  @IsOptional() @IsIn(['storage', 'disk']) STAGING?: string;
  @IsOptional() @IsString() STAGING_DIR?: string;
  @IsOptional() @IsNumber() @Min(0) STAGING_RETENTION_HOURS?: number;
  @IsOptional() @IsInt() @Min(1024) AVATAR_MAX_BYTES?: number;
  @IsOptional() @IsInt() @Min(0) AVATAR_DELETE_GRACE_SEC?: number;
  @IsOptional() @IsInt() @Min(1) SHUTDOWN_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(60) @Max(86_400) ADMIN_SESSION_TTL_SEC?: number;
  @IsOptional() @IsInt() @Min(1) DIRECT_UPLOAD_EXPIRES_SEC?: number;

  @IsOptional() @Matches(/^mysql:\/\/[^\s]+$/, { message: 'DATABASE_URL must look like mysql://user:pass@host:3306/db' })
  DATABASE_URL?: string;

  @IsOptional() @IsIn(['local', 'qiniu']) STORAGE_DRIVER?: string;
  @IsOptional() @IsString() STORAGE_LOCAL_DIR?: string;
  @ValidateIf(isQiniu) @IsString() @MinLength(1) QINIU_ACCESS_KEY?: string;
  @ValidateIf(isQiniu) @IsString() @MinLength(1) QINIU_SECRET_KEY?: string;
  @ValidateIf(isQiniu) @IsString() @MinLength(1) QINIU_BUCKET?: string;
  @ValidateIf(isQiniu) @IsUrl(url) QINIU_PUBLIC_BASE_URL?: string;
  @IsOptional() @IsBooleanString() QINIU_PRIVATE_BUCKET?: string;
  @IsOptional() @IsInt() @Min(60) QINIU_DOWNLOAD_URL_EXPIRES_SEC?: number;
  @IsOptional() @IsString() QINIU_UP_HOST?: string;
  @IsOptional() @IsString() QINIU_RS_HOST?: string;
  @IsOptional() @IsString() QINIU_RSF_HOST?: string;
  @IsOptional() @IsString() QINIU_API_HOST?: string;
  @IsOptional() @IsString() QINIU_CDN_HOST?: string;
  @IsOptional() @IsBooleanString() QINIU_USE_HTTPS?: string;
  @IsOptional() @IsInt() @Min(1024 * 1024) QINIU_RESUMABLE_THRESHOLD_BYTES?: number;
  @IsOptional() @IsUrl(url) QINIU_CALLBACK_URL?: string;

  @IsOptional() @IsString() BROKER_URL?: string;
  @IsOptional() @IsString() BROKER_TRANSPORT_OPTIONS?: string;
  @IsOptional() @IsInt() @Min(1) BROKER_POOL_LIMIT?: number;
  @IsOptional() @IsString() RESULT_BACKEND?: string;
  @IsOptional() @IsString() RESULT_BACKEND_TRANSPORT_OPTIONS?: string;
  @IsOptional() @IsInt() @Min(1) RESULT_EXPIRES?: number;
  @IsOptional() @IsInt() @Min(1) RESULT_CACHE_MAX?: number;
  @IsOptional() @IsIn(SERIALIZERS, { message: `TASK_SERIALIZER must be json or msgpack` }) TASK_SERIALIZER?: string;
  @IsOptional() @IsIn(SERIALIZERS, { message: `RESULT_SERIALIZER must be json or msgpack` }) RESULT_SERIALIZER?: string;
  @IsOptional() @Matches(/^\s*(json|msgpack)\s*(,\s*(json|msgpack)\s*)*$/, {
    message: 'ACCEPT_CONTENT must be a comma-separated list of json and msgpack',
  })
  ACCEPT_CONTENT?: string;
  @IsOptional() @IsString() TIMEZONE?: string;
  @IsOptional() @IsInt() @Min(1) @Max(64) WORKER_CONCURRENCY?: number;
  @IsOptional() @IsIn(LOG_LEVELS.map((l) => l.toUpperCase()).concat(LOG_LEVELS)) WORKER_LOG_LEVEL?: string;
  @IsOptional() @IsIn(LOG_LEVELS.map((l) => l.toUpperCase()).concat(LOG_LEVELS)) LOG_LEVEL?: string;
  @IsOptional() @IsIn(['json', 'pretty']) LOG_FORMAT?: string;
  @ValidateIf((env: Env) => !!env.METRICS_TOKEN) @IsString() @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;
  @IsOptional() @IsString() @MinLength(1) WORKER_HTTP_HOST?: string;
  @IsOptional() @IsInt() @Min(0) @Max(65535) WORKER_HTTP_PORT?: number;
  @IsOptional() @IsInt() @Min(0) SHUTDOWN_DRAIN_MS?: number;
  @IsOptional() @Matches(/^(\d+(\.\d+)?\/[smh])?$/, { message: 'TASK_DEFAULT_RATE_LIMIT must look like 100/s, 600/m or 3600/h' })
  TASK_DEFAULT_RATE_LIMIT?: string;
  @IsOptional() @IsInt() @Min(0) @Max(50) TASK_MAX_RETRIES?: number;
  @IsOptional() @IsInt() @Min(1) TASK_RETRY_BACKOFF_MS?: number;
  @IsOptional() @Matches(/^[A-Za-z0-9_:.{}-]+$/) QUEUE_PREFIX?: string;
  @IsOptional() @IsString() CLEANUP_CRON?: string;
  @IsOptional() @IsInt() @Min(1) RECONCILE_INTERVAL_SEC?: number;
  @IsOptional() @IsInt() @Min(2) TASK_LOCK_SEC?: number;
  @IsOptional() @IsInt() @Min(1) TASK_STALLED_INTERVAL_SEC?: number;
  @IsOptional() @IsInt() @Min(0) TASK_MAX_STALLED_COUNT?: number;
  @IsOptional() @IsInt() @Min(50) BROKER_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) TASK_DATABASE_RETRY_DELAY_MS?: number;
  @IsOptional() @IsInt() @Min(1) UPLOAD_MAX_INFLIGHT?: number;
  @IsOptional() @IsInt() @Min(1) QUEUE_MAX_WAITING?: number;

  @IsOptional() @IsInt() @Min(1) AVATAR_MAX_PIXELS?: number;
  @IsOptional() @Matches(/^\s*\d+\s*(,\s*\d+\s*)*$/, { message: 'AVATAR_SIZES must be a comma-separated list of pixel sizes' })
  AVATAR_SIZES?: string;
  @IsOptional() @IsBooleanString() AVATAR_KEEP_ORIGINAL?: string;
  @IsOptional() @Matches(/^\s*webp\s*(,\s*avif\s*)?$/, { message: 'AVATAR_FORMATS must be webp or webp,avif' })
  AVATAR_FORMATS?: string;
  @IsOptional() @IsIn(['attention', 'entropy', 'centre', 'center'], { message: 'AVATAR_CROP must be attention, entropy or centre' })
  AVATAR_CROP?: string;
  @IsOptional() @IsInt() @Min(1) AVATAR_MAX_JPEG_SCANS?: number;
  @IsOptional() @IsInt() @Min(1) AVATAR_DECODE_TIMEOUT_SEC?: number;
  @IsOptional() @IsInt() @Min(1) AVATAR_MAX_PENDING_PER_USER?: number;
  @IsOptional() @IsInt() @Min(1) UPLOAD_IDLE_TIMEOUT_SEC?: number;
  @IsOptional() @IsInt() @Min(1) TASK_TIME_LIMIT?: number;

  @IsOptional() @IsInt() @Min(1) AUTH_THROTTLE_LIMIT?: number;
  @IsOptional() @IsInt() @Min(1) AUTH_THROTTLE_TTL_SEC?: number;
  @IsOptional() @IsInt() @Min(1) UPLOAD_THROTTLE_LIMIT?: number;
  @IsOptional() @IsInt() @Min(1) UPLOAD_THROTTLE_TTL_SEC?: number;
  @IsOptional() @IsInt() @Min(1) AUTH_LOGIN_FREE_FAILURES?: number;
  @IsOptional() @IsInt() @Min(1) AUTH_LOCKOUT_BASE_SEC?: number;
  @IsOptional() @IsInt() @Min(1) AUTH_LOCKOUT_MAX_SEC?: number;
  @IsOptional() @IsInt() @Min(1) @Max(64) AUTH_MAX_CONCURRENT_HASHES?: number;
  @IsOptional() @Matches(/^(\s*https?:\/\/[^\s,/]+\/?\s*(,|$))*$/, {
    message: 'CORS_ORIGINS must be a comma-separated list of origins like https://app.example.com (no paths)',
  })
  CORS_ORIGINS?: string;
  @IsOptional() @IsBooleanString() SWAGGER_ENABLED?: string;
  @IsOptional() @IsInt() @Min(0) @Max(10) TRUST_PROXY_HOPS?: number;
}

// Words that mark a placeholder someone typed, not a random value.
const PLACEHOLDER_WORDS = ['secret', 'password', 'changeme', 'example', 'default', 'development', 'production'];

/** Why a secret is too weak to sign with, or null. Never includes the secret itself. */
export function weakSecretReason(secret: string): string | null {
  if (secret.length < 32) return 'must be at least 32 characters';
  if (new Set(secret).size < 10) return 'too predictable (too few different characters); use e.g. openssl rand -hex 32';
  const lower = secret.toLowerCase();
  if (PLACEHOLDER_WORDS.some((word) => lower.includes(word))) {
    return 'looks like a placeholder (contains a common word); use e.g. openssl rand -hex 32';
  }
  let steps = 0;
  for (let i = 1; i < secret.length; i++) if (Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) <= 1) steps += 1;
  if (steps > secret.length / 2) return 'too predictable (runs of neighbouring characters); use e.g. openssl rand -hex 32';
  return null;
}

const PICKLE_VARIABLES = ['TASK_SERIALIZER', 'RESULT_SERIALIZER', 'ACCEPT_CONTENT'];

/** Every variable the schema knows, for the check that .env.example and README list them all. */
export function configurationVariables(): string[] {
  const rules = getMetadataStorage().getTargetValidationMetadatas(Env, '', true, false);
  return [...new Set(rules.map((rule) => rule.propertyName))];
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {});
  return `${error.property}: ${reasons.join(', ')}`;
}

function validTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** BROKER_URL and RESULT_BACKEND with their transport options, and a prefix a Redis Cluster can use. */
function redisProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  let cluster = false;
  for (const [name, options, fallback] of [
    ['BROKER_URL', 'BROKER_TRANSPORT_OPTIONS', 'redis://127.0.0.1:6379/0'],
    ['RESULT_BACKEND', 'RESULT_BACKEND_TRANSPORT_OPTIONS', 'redis://127.0.0.1:6379/1'],
  ]) {
    try {
      const optionsJson = raw[options] === undefined ? undefined : String(raw[options]);
      cluster = parseRedisTarget(String(raw[name] ?? fallback), optionsJson).mode === 'cluster' || cluster;
    } catch (error) {
      if (!(error instanceof RedisTargetError)) throw error;
      problems.push(`${error.about === 'options' ? options : name}: ${error.message}`);
    }
  }
  if (cluster) {
    try {
      clusterPrefix(String(raw.QUEUE_PREFIX ?? 'avatar-pipeline'));
    } catch (error) {
      problems.push(`QUEUE_PREFIX: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Throws one error naming every bad variable; returns the environment unchanged when it is valid. */
export function validateEnv(raw: Record<string, unknown>): Record<string, unknown> {
  const problems: string[] = [];
  for (const name of PICKLE_VARIABLES) {
    if (String(raw[name] ?? '').toLowerCase().includes('pickle')) problems.push(`${name}: ${PICKLE}`);
  }
  const env = plainToInstance(Env, raw, { enableImplicitConversion: true });
  problems.push(
    ...validateSync(env, { forbidUnknownValues: false })
      .filter((e) => !PICKLE_VARIABLES.includes(e.property) || !problems.some((p) => p.startsWith(e.property)))
      .map(describe),
  );
  if (env.JWT_SECRET) {
    const reason = weakSecretReason(env.JWT_SECRET);
    if (reason) problems.push(`JWT_SECRET: ${reason}`);
  } else if (isProduction(env)) {
    problems.push('JWT_SECRET: required outside development: at least 32 random characters (openssl rand -hex 32)');
  }
  if (env.TIMEZONE && !validTimezone(env.TIMEZONE)) problems.push(`TIMEZONE: unknown IANA time zone "${env.TIMEZONE}"`);
  if (env.AVATAR_SIZES?.split(',').some((s) => Number(s) < 16 || Number(s) > 4096)) {
    problems.push('AVATAR_SIZES: each size must be between 16 and 4096 pixels');
  }
  problems.push(...redisProblems(raw));
  if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  return raw;
}
