import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AvatarUpload } from '../avatars/avatar-upload.entity';
import { DirectUploadTicketRecord } from '../avatars/direct-upload-ticket.entity';
import { avatarConfig } from '../config/avatar.config';
import { AVATAR_QUEUE } from '../queue/queue.constants';
import { StorageDriver } from '../storage/storage-driver';
import { keysOf, User } from '../users/user.entity';

export interface PurgeReport {
  userId: number;
  /** Null when the row was already gone (a second run after a failure): only leftovers were removed. */
  username: string | null;
  uploads: number;
  objects: number;
  stagedFiles: number;
  jobsRemoved: number;
}

/** Removes a user and everything stored for them: rows, avatar and temporary objects, staged files, queued jobs. */
@Injectable()
export class UserPurge {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(AVATAR_QUEUE) private readonly queue: Queue,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    private readonly storage: StorageDriver,
  ) {}

  async purge(userId: number): Promise<PurgeReport> {
    // The rows go first, under the user's row lock: no upload of theirs can commit afterwards, and a job still running
    // schedules the deletion of whatever it stored. Everything below is idempotent, so a run that failed half-way is
    // finished by running it again.
    const { user, uploads, tickets } = await this.dataSource.transaction(async (manager) => {
      const user = await manager.findOne(User, { where: { id: userId }, lock: { mode: 'pessimistic_write' } });
      const uploads = await manager.find(AvatarUpload, { where: { userId } });
      const tickets = await manager.find(DirectUploadTicketRecord, { where: { userId } });
      if (user) await manager.delete(User, { id: userId }); // uploads and tickets go with it (ON DELETE CASCADE)
      return { user, uploads, tickets };
    });

    const jobsRemoved = await this.removeWaitingJobs(uploads);
    const listed = await this.listUnder([`avatars/${userId}/`, `incoming/${userId}/`]);
    const named = [
      ...keysOf(user?.avatar ?? null),
      ...uploads.flatMap((upload) => [...(upload.images ?? []).map((image) => image.key), ...(upload.directKey ? [upload.directKey] : [])]),
      ...tickets.map((ticket) => ticket.key),
    ];
    if (!user && listed.length === 0) throw new Error(`no user ${userId}, and nothing stored under its prefixes`);
    const keys = [...new Set([...listed, ...named])];
    await this.storage.delete(keys);
    await this.storage.purgeFromCdn(keys.filter((key) => key.startsWith('avatars/')));

    let stagedFiles = 0;
    for (const upload of uploads) {
      if (upload.stagedPath && (await removed(upload.stagedPath))) stagedFiles += 1;
      await rm(join(this.config.stagingDir, `work-${upload.id}`), { recursive: true, force: true });
    }
    return { userId, username: user?.username ?? null, uploads: uploads.length, objects: listed.length, stagedFiles, jobsRemoved };
  }

  /** Jobs not yet started; an active one cannot be removed, and finds no row when it commits. */
  private async removeWaitingJobs(uploads: AvatarUpload[]): Promise<number> {
    let removedJobs = 0;
    for (const upload of uploads) {
      const job = upload.jobId ? await this.queue.getJob(upload.jobId) : null;
      if (job && ['waiting', 'delayed', 'paused'].includes(await job.getState())) {
        await job.remove();
        removedJobs += 1;
      }
    }
    return removedJobs;
  }

  private async listUnder(prefixes: string[]): Promise<string[]> {
    const keys: string[] = [];
    for (const prefix of prefixes) for await (const object of this.storage.list(prefix)) keys.push(object.key);
    return keys;
  }
}

async function removed(path: string): Promise<boolean> {
  return rm(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}
