import { QiniuEmulator } from '../qiniu-emulator/qiniu-emulator';

export const QINIU_BUCKET = 'avatars';
const ACCESS_KEY = 'e2e-access-key';
const SECRET_KEY = 'e2e-secret-key-that-is-only-for-tests';

export async function startQiniuEmulator(options: { privateBucket?: boolean } = {}): Promise<QiniuEmulator> {
  const emulator = new QiniuEmulator({
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    buckets: [{ name: QINIU_BUCKET, private: options.privateBucket ?? false }],
  });
  await emulator.start();
  return emulator;
}

/** Settings that point the service's Qiniu driver (the real SDK) at the emulator. */
export function qiniuEnv(emulator: QiniuEmulator): Record<string, string> {
  return {
    STORAGE_DRIVER: 'qiniu',
    QINIU_ACCESS_KEY: ACCESS_KEY,
    QINIU_SECRET_KEY: SECRET_KEY,
    QINIU_BUCKET,
    QINIU_PUBLIC_BASE_URL: `http://${emulator.hostPort}`,
    QINIU_UP_HOST: emulator.hostPort,
    QINIU_RS_HOST: emulator.hostPort,
    QINIU_RSF_HOST: emulator.hostPort,
    QINIU_API_HOST: emulator.hostPort,
    QINIU_CDN_HOST: emulator.hostPort,
    QINIU_USE_HTTPS: 'false',
  };
}

export function storedKeys(emulator: QiniuEmulator, prefix: string): string[] {
  return emulator
    .objects(QINIU_BUCKET)
    .map((object) => object.key)
    .filter((key) => key.startsWith(prefix));
}
