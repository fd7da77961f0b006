import type { SourceCrop } from '../images/avatar-image.renderer';

export const AVATAR_QUEUE = 'avatars';
export const MAINTENANCE_QUEUE = 'maintenance';

export const UPLOAD_AVATAR_JOB = 'upload-avatar';
export const DELETE_OBJECTS_JOB = 'delete-avatar-objects';
export const CLEANUP_STAGING_JOB = 'cleanup-staging';

export interface UploadAvatarJob {
  uploadId: string;
  /** The API request that accepted the upload, so the worker's log lines can name it. */
  requestId?: string;
  /** The square the client chose, in pixels of the upright upload; checked by the worker against the real image. */
  crop?: SourceCrop;
}

export interface DeleteObjectsJob {
  userId: number;
  keys: string[];
}

/** The job id is derived from the upload id, so enqueuing the same upload twice yields one job. */
export const uploadJobId = (uploadId: string): string => `upload-${uploadId}`;

/** Lets a worker mark the upload failed even when it cannot decode the job's payload. */
export const uploadIdOfJob = (jobId: string | number): string | undefined => /^upload-(.+)$/.exec(String(jobId))?.[1];
