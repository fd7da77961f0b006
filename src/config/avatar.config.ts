import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';

export const avatarConfig = registerAs('avatar', () => ({
  maxBytes: Number(process.env.AVATAR_MAX_BYTES ?? 10 * 1024 * 1024),
  maxPixels: Number(process.env.AVATAR_MAX_PIXELS ?? 40_000_000),
  sizes: (process.env.AVATAR_SIZES ?? '512,256,128,64')
    .split(',')
    .map(Number)
    .sort((a, b) => b - a),
  keepOriginal: process.env.AVATAR_KEEP_ORIGINAL === 'true',
  /** Output formats of the square variants: always WebP, optionally AVIF too. */
  formats: (process.env.AVATAR_FORMATS ?? 'webp').split(',').map((format) => format.trim()) as Array<'webp' | 'avif'>,
  /** How the square is chosen when the client sends no crop: sharp's attention or entropy strategy, or the centre. */
  cropStrategy: (process.env.AVATAR_CROP ?? 'attention').replace('center', 'centre') as 'attention' | 'entropy' | 'centre',
  /** Shared by API and workers: the API writes uploads here, a worker on any host reads them. */
  stagingDir: resolve(process.env.STAGING_DIR ?? 'var/staging'),
  stagingRetentionHours: Number(process.env.STAGING_RETENTION_HOURS ?? 24),
  /** How long a replaced avatar's objects stay, so caches and open pages still holding the old URL keep working. */
  deleteGraceSec: Number(process.env.AVATAR_DELETE_GRACE_SEC ?? 3600),
  directUploadExpiresSec: Number(process.env.DIRECT_UPLOAD_EXPIRES_SEC ?? 600),
}));
