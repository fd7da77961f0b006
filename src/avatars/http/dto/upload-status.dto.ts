import { UploadStatus } from '../../avatar-upload.entity';

export class UploadStatusDto {
  uploadId: string;
  status: UploadStatus;
  jobId: string | null;
  /** How many times a worker has started on it. */
  attempts: number;
  /** 0–100: how far processing got (0 while queued, 100 once done). */
  progress: number;
  /** Set once the upload is done. */
  avatarUrl?: string;
  /** Why the upload failed (or, while retrying, why the last attempt did). */
  error?: string;
  createdAt: Date;
  finishedAt?: Date;
}

/** One Server-Sent Event (`event: status`) of `GET /users/me/avatar/uploads/{uploadId}/events`. */
export class UploadEventDto {
  uploadId: string;
  status: UploadStatus;
  /** 0–100. */
  progress: number;
  /** Why it failed, or why the last attempt did while a retry waits. */
  error?: string;
  /** Set once the upload is done. */
  avatarUrl?: string;
}
