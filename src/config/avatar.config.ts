import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { storageDriverFrom } from './storage.config';

export type StagingMode = 'storage' | 'disk';

export const avatarConfig = registerAs('avatar', () => ({
  maxBytes: Number(process.env.AVATAR_MAX_BYTES ?? 10 * 1024 * 1024),
  /** Upload requests one API process receives at once; more get 503 + Retry-After before a byte is read. */
  maxInFlightUploads: Number(process.env.UPLOAD_MAX_INFLIGHT ?? 32),
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
  /** Each scan of a progressive JPEG is a full pass of the decoder over the image; photos have about a dozen. */
  maxJpegScans: Number(process.env.AVATAR_MAX_JPEG_SCANS ?? 100),
  decodeTimeoutSec: Number(process.env.AVATAR_DECODE_TIMEOUT_SEC ?? 20),
  /** Uploads of one user queued or processing at once; more are refused (429) until one finishes. */
  maxPendingPerUser: Number(process.env.AVATAR_MAX_PENDING_PER_USER ?? 3),
  /** An upload's client may send nothing for this long before it is cut off (408) and its partial file removed. */
  uploadIdleTimeoutSec: Number(process.env.UPLOAD_IDLE_TIMEOUT_SEC ?? 15),
  /**
   * Where the API keeps a server-side upload until a worker takes it: `storage` streams it into the object store under
   * `incoming/<user>/<upload id>` (no folder shared between API and workers), `disk` into STAGING_DIR (shared).
   */
  staging: (process.env.STAGING ?? (storageDriverFrom(process.env) === 'qiniu' ? 'storage' : 'disk')) as StagingMode,
  /** With STAGING=disk shared by API and workers; otherwise each process's own scratch space (worker work folders). */
  stagingDir: resolve(process.env.STAGING_DIR ?? 'var/staging'),
  stagingRetentionHours: Number(process.env.STAGING_RETENTION_HOURS ?? 24),
  /** How long a replaced avatar's objects stay, so caches and open pages still holding the old URL keep working. */
  deleteGraceSec: Number(process.env.AVATAR_DELETE_GRACE_SEC ?? 3600),
  directUploadExpiresSec: Number(process.env.DIRECT_UPLOAD_EXPIRES_SEC ?? 600),
}));
