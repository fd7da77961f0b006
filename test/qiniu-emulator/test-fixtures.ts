import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { QiniuStorageOptions } from '../../src/config/storage.config';
import type { QiniuEmulator } from './qiniu-emulator';

export const ACCESS_KEY = 'test-access-key';
export const SECRET_KEY = 'test-secret-key';
export const MiB = 1024 * 1024;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Random bytes behind a PNG signature: what Qiniu's content sniffing calls image/png. */
export function pngBytes(size: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, randomBytes(Math.max(size - PNG_SIGNATURE.length, 0))]);
}

export async function writeFixture(dir: string, name: string, content: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

export function emulatorOptions(emulator: QiniuEmulator, overrides: Partial<QiniuStorageOptions> = {}): QiniuStorageOptions {
  const host = emulator.hostPort;
  return {
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    bucket: 'avatars',
    publicBaseUrl: `http://${host}`,
    privateBucket: false,
    downloadUrlExpiresSec: 3600,
    upHost: host,
    rsHost: host,
    rsfHost: host,
    apiHost: host,
    cdnHost: host,
    useHttps: false,
    resumableThresholdBytes: MiB,
    callbackUrl: undefined,
    ...overrides,
  };
}
