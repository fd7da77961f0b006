import { registerAs } from '@nestjs/config';
import { hkdfSync } from 'node:crypto';
import { resolve } from 'node:path';
import { apiBaseUrlFromEnv, jwtSecretFromEnv } from './app.config';

const env = process.env;

export type StorageDriverName = 'local' | 'qiniu';

/** The driver STORAGE_DRIVER names (validateEnv allows only these two); `local` when unset. */
export function storageDriverFrom(environment: NodeJS.ProcessEnv): StorageDriverName {
  return (environment.STORAGE_DRIVER ?? 'local') as StorageDriverName;
}

/**
 * A ConditionalModule condition: true when `name` is the configured driver. ConditionalModule evaluates it once,
 * at start-up, after ConfigModule has loaded and validated the environment.
 */
export function usesStorageDriver(name: StorageDriverName): (environment: NodeJS.ProcessEnv) => boolean {
  return (environment) => storageDriverFrom(environment) === name;
}

export const storageConfig = registerAs('storage', () => {
  const apiBaseUrl = apiBaseUrlFromEnv();
  return {
    driver: storageDriverFrom(env),
    local: {
      root: resolve(env.STORAGE_LOCAL_DIR ?? 'var/storage'),
      publicBaseUrl: (env.PUBLIC_BASE_URL ?? `${apiBaseUrl}/static`).replace(/\/+$/, ''),
      uploadUrl: `${apiBaseUrl}/storage/local/upload`,
      /**
       * Signs direct-upload grants: a key derived from JWT_SECRET for this purpose only (HKDF-SHA256), so a grant key
       * and the access-token key can never stand in for each other. Replicas share it by sharing JWT_SECRET.
       */
      tokenSecret: Buffer.from(hkdfSync('sha256', jwtSecretFromEnv(), '', 'avatar-pipeline local direct-upload grant', 32)),
    },
    qiniu: {
      accessKey: env.QINIU_ACCESS_KEY ?? '',
      secretKey: env.QINIU_SECRET_KEY ?? '',
      bucket: env.QINIU_BUCKET ?? '',
      publicBaseUrl: (env.QINIU_PUBLIC_BASE_URL ?? '').replace(/\/+$/, ''),
      privateBucket: env.QINIU_PRIVATE_BUCKET === 'true',
      downloadUrlExpiresSec: Number(env.QINIU_DOWNLOAD_URL_EXPIRES_SEC ?? 3600),
      // Region z0 (East China); point these at another region or at the emulator.
      upHost: env.QINIU_UP_HOST ?? 'up.qiniup.com',
      rsHost: env.QINIU_RS_HOST ?? 'rs-z0.qiniuapi.com',
      rsfHost: env.QINIU_RSF_HOST ?? 'rsf-z0.qiniuapi.com',
      apiHost: env.QINIU_API_HOST ?? 'api-z0.qiniuapi.com',
      cdnHost: env.QINIU_CDN_HOST ?? 'fusion.qiniuapi.com',
      useHttps: (env.QINIU_USE_HTTPS ?? 'true') === 'true',
      resumableThresholdBytes: Number(env.QINIU_RESUMABLE_THRESHOLD_BYTES ?? 4 * 1024 * 1024),
      /** When set, direct-upload tokens ask Qiniu to POST a signed callback here. */
      callbackUrl: env.QINIU_CALLBACK_URL,
    },
  };
});

export type StorageConfig = ReturnType<typeof storageConfig>;
export type LocalStorageOptions = StorageConfig['local'];
export type QiniuStorageOptions = StorageConfig['qiniu'];
