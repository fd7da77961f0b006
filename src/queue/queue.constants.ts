import type { SourceCrop } from '../images/avatar-image.renderer';

export const AVATAR_QUEUE = 'avatars';
export const MAINTENANCE_QUEUE = 'maintenance';

export const UPLOAD_AVATAR_JOB = 'upload-avatar';
export const DELETE_OBJECTS_JOB = 'delete-avatar-objects';
export const CLEANUP_STAGING_JOB = 'cleanup-staging';
export const RECONCILE_UPLOADS_JOB = 'reconcile-uploads';

export interface UploadAvatarJob {
  uploadId: string;
  /** The API request that accepted the upload, so the worker's log lines can name it. */
  requestId?: string;
  /** The square the client chose, in pixels of the upright upload; checked by the worker against the real image. */
  crop?: SourceCrop;
  /**
   * The JPEG scans the API counted as it received the bytes (server-side uploads). The worker holds them against its
   * own limit instead of reading the file again; without it (a direct upload, a re-driven job) it counts them itself.
   */
  jpegScans?: number;
}

export interface DeleteObjectsJob {
  userId: number;
  keys: string[];
}

/**
 * One job id per enqueue of an upload: `upload-<uploadId>-<n>`, n counting the enqueues. Bull silently ignores add()
 * with an id that still exists, so a re-drive must never reuse one. The upload row keeps its current job id, so the
 * count lives in MySQL with everything else.
 */
export const uploadJobId = (uploadId: string, enqueue: number): string => `upload-${uploadId}-${enqueue}`;

/** How many times the upload behind this job id was enqueued (0 for none; 1 for ids from before the count). */
export const enqueueCountOf = (jobId: string | null): number => {
  if (!jobId) return 0;
  const count = /^upload-[0-9a-f-]{36}-(\d+)$/.exec(jobId)?.[1];
  return count ? Number(count) : 1;
};

/** Lets a worker mark the upload failed even when it cannot decode the job's payload (which carries the upload id). */
export const uploadIdOfJob = (jobId: string | number): string | undefined =>
  /^upload-([0-9a-f-]{36})(?:-\d+)?$/.exec(String(jobId))?.[1];
