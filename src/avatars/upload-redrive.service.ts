import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { IsNull, Repository } from 'typeorm';
import { JobCodec } from '../queue/job-codec';
import { AVATAR_QUEUE, UPLOAD_AVATAR_JOB, UploadAvatarJob, enqueueCountOf, uploadJobId } from '../queue/queue.constants';
import { ResultBackend } from '../queue/result-backend';
import { AvatarUpload } from './avatar-upload.entity';

export type RedrivableUpload = Pick<AvatarUpload, 'id' | 'userId' | 'status' | 'jobId' | 'crop'>;

/**
 * Hands uploads to the queue: the first time (the API) and again (the reconciler, the admin CLI). MySQL is the truth:
 * the row names its current job, every enqueue gets a fresh job id, and a worker only works for the current job.
 */
@Injectable()
export class UploadRedriveService {
  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    private readonly codec: JobCodec,
    private readonly results: ResultBackend,
  ) {}

  /** The job id of an upload's first enqueue (recorded in its row before the job exists). */
  firstJobId(uploadId: string): string {
    return uploadJobId(uploadId, 1);
  }

  /** `received`: what the API that accepted the upload knows of it (its request id, the JPEG scans it counted). */
  async enqueue(
    upload: Pick<AvatarUpload, 'id' | 'userId' | 'crop'>,
    jobId: string,
    received: Pick<UploadAvatarJob, 'requestId' | 'jpegScans'> = {},
  ): Promise<void> {
    await this.results.record(jobId, { name: UPLOAD_AVATAR_JOB, ownerId: upload.userId, state: 'waiting' });
    const payload: UploadAvatarJob = {
      uploadId: upload.id,
      ...(received.requestId ? { requestId: received.requestId } : {}),
      ...(upload.crop ? { crop: upload.crop } : {}),
      ...(received.jpegScans !== undefined ? { jpegScans: received.jpegScans } : {}),
    };
    await this.queue.add(UPLOAD_AVATAR_JOB, this.codec.encodeTask(payload), { jobId });
  }

  /**
   * Re-enqueues an upload under a fresh job id. The row is switched to the new job first, on condition that it still
   * names the job and status the caller saw, so of several processes re-driving one upload at once exactly one
   * enqueues, and a job that is still somewhere in Redis finds itself superseded and does nothing. A failed upload
   * (an operator's retry) is reopened with its attempts reset. Returns the new job id, or null when the upload changed
   * meanwhile. If the queue cannot take the job, the row names a job that does not exist, which the reconciler repairs.
   */
  async redrive(upload: RedrivableUpload): Promise<string | null> {
    const jobId = uploadJobId(upload.id, enqueueCountOf(upload.jobId) + 1);
    const reopen = upload.status === 'failed' ? { error: null, finishedAt: null, attempts: 0 } : {};
    const claimed = await this.uploads.update(
      { id: upload.id, status: upload.status, jobId: upload.jobId ?? IsNull() },
      { status: 'queued', jobId, ...reopen },
    );
    if (!claimed.affected) return null;
    await this.enqueue(upload, jobId);
    return jobId;
  }
}
