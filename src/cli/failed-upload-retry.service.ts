import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { access } from 'node:fs/promises';
import { FindOptionsWhere, MoreThan, MoreThanOrEqual, Repository } from 'typeorm';
import { AvatarUpload } from '../avatars/avatar-upload.entity';
import { UploadRedriveService } from '../avatars/upload-redrive.service';
import { StorageDriver } from '../storage/storage-driver';

export interface RetryFilter {
  /** Only uploads that failed at or after this time. */
  since?: Date;
  userId?: number;
}

export interface RetryReport {
  retried: { uploadId: string; jobId: string }[];
  /** Failed uploads whose file is gone (refused content is deleted at once, temporary objects with the failure). */
  sourceGone: string[];
  /** Uploads another process re-drove or finished while this one looked. */
  changedMeanwhile: string[];
}

const PAGE = 200;

/** Gives failed uploads another go: each one whose file is still there is re-enqueued under a fresh job id. */
@Injectable()
export class FailedUploadRetry {
  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    private readonly redrive: UploadRedriveService,
    private readonly storage: StorageDriver,
  ) {}

  async retry(filter: RetryFilter): Promise<RetryReport> {
    const report: RetryReport = { retried: [], sourceGone: [], changedMeanwhile: [] };
    let after = '';
    for (;;) {
      const where: FindOptionsWhere<AvatarUpload> = {
        status: 'failed',
        id: MoreThan(after),
        ...(filter.since ? { finishedAt: MoreThanOrEqual(filter.since) } : {}),
        ...(filter.userId !== undefined ? { userId: filter.userId } : {}),
      };
      const page = await this.uploads.find({ where, order: { id: 'ASC' }, take: PAGE });
      if (page.length === 0) return report;
      for (const upload of page) {
        if (!(await this.sourceExists(upload))) {
          report.sourceGone.push(upload.id);
          continue;
        }
        const jobId = await this.redrive.redrive(upload);
        if (jobId) report.retried.push({ uploadId: upload.id, jobId });
        else report.changedMeanwhile.push(upload.id);
      }
      after = page[page.length - 1].id;
    }
  }

  private async sourceExists(upload: AvatarUpload): Promise<boolean> {
    if (upload.directKey) return (await this.storage.stat(upload.directKey)) !== null;
    if (!upload.stagedPath) return false;
    return access(upload.stagedPath).then(
      () => true,
      () => false,
    );
  }
}
