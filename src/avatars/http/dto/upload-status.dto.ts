import { UploadStatus } from '../../avatar-upload.entity';

export class UploadStatusDto {
  uploadId: string;
  status: UploadStatus;
  jobId: string | null;
  /** How many times a worker has started on it. */
  attempts: number;
  /** Set once the upload is done. */
  avatarUrl?: string;
  /** Why the upload failed (or, while retrying, why the last attempt did). */
  error?: string;
  createdAt: Date;
  finishedAt?: Date;
}
