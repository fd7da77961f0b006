import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { avatarConfig } from '../../config/avatar.config';
import { AvatarImageRenderer, RenderedAvatar, RenderedImage, SourceCrop } from '../../images/avatar-image.renderer';
import { Metrics } from '../../metrics/metrics';
import { JobCodec } from '../../queue/job-codec';
import { DELETE_OBJECTS_JOB, DeleteObjectsJob, MAINTENANCE_QUEUE, UploadAvatarJob } from '../../queue/queue.constants';
import { StorageDriver } from '../../storage/storage-driver';
import { StorageUnavailableError } from '../../storage/storage.errors';
import { AvatarObjects, keysOf } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { AvatarUpload, StoredImage } from '../avatar-upload.entity';
import { DeletionTally, ObjectDeletions, noDeletionSince } from '../object-deletions';
import { JobSupersededError, UploadGoneError } from './upload-job.errors';

/** What a finished upload job reports (the job's result in the result backend). */
export interface UploadOutcome {
  uploadId: string;
  status: 'done';
  avatarUrl: string;
  /** False when a newer upload had already set the avatar. */
  applied: boolean;
}

type Progress = (percent: number) => Promise<void>;

/** A duplicate delivery of an upload that already failed for good. */
export class UploadAlreadyFailedError extends Error {
  readonly name = 'UploadAlreadyFailedError';
}

/** The worker side of an upload: render, store, verify, then switch the avatar in one transaction. */
@Injectable()
export class AvatarProcessingService {
  private readonly logger = new Logger(AvatarProcessingService.name);

  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: StorageDriver,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    private readonly renderer: AvatarImageRenderer,
    private readonly users: UsersService,
    private readonly codec: JobCodec,
    private readonly metrics: Metrics,
    private readonly deletions: ObjectDeletions,
  ) {}

  /**
   * Runs one job of an upload. Only the upload's current job works (the row names it; a re-drive gives it a fresh job
   * id): the claim and the commit both check it, so an upload is never committed twice, nor by a stale job.
   * `retriedByHand`: an operator retried the failed job (the queue dashboard), which gives a failed upload one more attempt.
   * The task may carry the square the client chose and the JPEG scans the API counted.
   */
  async process(task: UploadAvatarJob, jobId: string, progress: Progress, retriedByHand = false): Promise<UploadOutcome> {
    const { uploadId, crop } = task;
    const upload = await this.uploads.findOneBy({ id: uploadId });
    if (!upload) throw new UploadGoneError(`upload ${uploadId} no longer exists`);
    if (upload.status === 'done') return this.outcomeOf(upload, true); // a duplicate delivery: the work is done
    if (upload.status === 'failed' && !retriedByHand) throw new UploadAlreadyFailedError(upload.error ?? 'the upload failed');
    const claimed = await this.uploads.update(
      { id: uploadId, jobId, status: In(retriedByHand ? ['queued', 'processing', 'failed'] : ['queued', 'processing']) },
      { status: 'processing', error: null, finishedAt: null, attempts: () => 'attempts + 1', startedAt: new Date() },
    );
    if (!claimed.affected) throw new JobSupersededError(`job ${jobId} is not the current job of upload ${uploadId}`);

    const stored: StoredImage[] = [];
    let applied: boolean;
    try {
      const checks = { jpegScans: countedScans(task) };
      const rendered = await this.withSource(upload, (path) =>
        this.renderer.render(path, (p) => progress(Math.round(p * 0.6)), crop, checks),
      );
      const deletionsBefore = await this.deletions.tally(upload.userId);
      const storing = this.metrics.stageTimer('store');
      await this.storeAll(upload.userId, rendered.images, stored);
      storing();
      await progress(90);
      const committing = this.metrics.stageTimer('commit');
      applied = await this.commit(upload, rendered, stored, deletionsBefore, crop ?? null);
      committing();
    } catch (error) {
      // Objects stored by a failed attempt are not referenced by anyone; the deletion job spares them if a retry
      // (which yields the same content-hash keys) sets them as the avatar after all.
      if (stored.length > 0) {
        await this.scheduleDeletion({ userId: upload.userId, keys: stored.map((image) => image.key) }).catch(() => undefined);
      }
      throw error;
    }
    await this.afterCommit(upload);
    const main = stored.find((image) => image.role === 'variant')!;
    return { uploadId, status: 'done', avatarUrl: this.storage.urlFor(main.key), applied };
  }

  /**
   * Records a failure the client will read; `final` when no retry follows. Only the upload's current job may write it,
   * and never over a finished upload (an error after the commit must not undo it). A direct upload's temporary object
   * goes with a final failure; a staged file only with a `permanent` one: after a transient failure (storage down too
   * long) an operator may retry the job, and the scheduled cleanup removes the file after STAGING_RETENTION_HOURS.
   */
  async recordFailure(uploadId: string, jobId: string, reason: string, final: boolean, permanent = false): Promise<void> {
    const open = { id: uploadId, jobId, status: In(['queued', 'processing']) };
    if (!final) {
      await this.uploads.update(open, { status: 'queued', error: reason });
      return;
    }
    const upload = await this.uploads.findOneBy(open);
    if (!upload) return;
    const failed = await this.uploads.update(open, { status: 'failed', error: reason, finishedAt: new Date() });
    if (failed.affected) await this.discardSource(permanent ? upload : { ...upload, stagedPath: null });
  }

  /** The source of an upload that is over: its staged file, or a direct upload's temporary object. */
  async discardSource(upload: Pick<AvatarUpload, 'id' | 'stagedPath' | 'directKey'>): Promise<void> {
    if (upload.stagedPath) await rm(upload.stagedPath, { force: true });
    if (upload.directKey) await this.storage.delete([upload.directKey]);
  }

  /**
   * A server-side upload staged on disk is read there; a temporary object (a direct upload, or STAGING=storage) is
   * downloaded into a work folder first.
   */
  private async withSource<T>(upload: AvatarUpload, use: (path: string) => Promise<T>): Promise<T> {
    if (upload.stagedPath) return use(upload.stagedPath);
    const workDir = join(this.config.stagingDir, `work-${upload.id}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    try {
      const path = join(workDir, 'source');
      await this.storage.download(upload.directKey!, path);
      return await use(path);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Every image at once; `stored` lists those that made it even when another failed, for cleaning up. */
  private async storeAll(userId: number, rendered: RenderedImage[], stored: StoredImage[]): Promise<void> {
    const outcomes = await Promise.allSettled(rendered.map((image) => this.storeVerified(userId, image)));
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') stored.push(outcome.value);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** The store must report exactly the key and hash computed here; anything else is retried. */
  private async storeVerified(userId: number, image: RenderedImage): Promise<StoredImage> {
    const key = `avatars/${userId}/${image.sha256}.${image.extension}`;
    const hash = this.storage.hashOf(image.data);
    const reported = await this.storage.putBuffer(key, image.data, image.contentType, hash);
    if (reported.key !== key || reported.hash !== hash) {
      throw new StorageUnavailableError(`storage reported ${reported.key}@${reported.hash}, expected ${key}@${hash}`);
    }
    this.metrics.bytesStored.inc(image.bytes);
    return { role: image.role, size: image.size, key, contentType: image.contentType, width: image.width, height: image.height, bytes: image.bytes };
  }

  /**
   * One transaction, holding the user's row lock: the avatar switches if this upload is the newest, and the upload is
   * marked done unless it was failed meanwhile. A deletion job takes the same lock; if one ran (or may still be
   * running) since the objects were stored, it may have removed an identical older object under the same key, so
   * only then is storage asked again.
   */
  private async commit(
    upload: AvatarUpload,
    rendered: RenderedAvatar,
    images: StoredImage[],
    deletionsBefore: DeletionTally,
    crop: SourceCrop | null,
  ): Promise<boolean> {
    const objects = avatarObjectsOf(rendered, images, crop);
    return this.dataSource.transaction(async (manager) => {
      const previous = await this.users.lockAvatar(manager, upload.userId);
      if (!noDeletionSince(deletionsBefore, await this.deletions.tally(upload.userId, manager))) {
        const present = await Promise.all(images.map((image) => this.storage.stat(image.key)));
        if (present.some((object) => object === null)) {
          throw new StorageUnavailableError('a stored object was deleted before the avatar was set; storing again');
        }
      }
      const main = images.find((image) => image.role === 'variant')!;
      const applied = await this.users.setAvatarIfNewer(manager, upload.userId, {
        uploadId: upload.id,
        uploadedAt: upload.createdAt,
        objects,
        url: this.storage.urlFor(main.key),
      });
      // Only while this job still owns the upload: an attempt that ran past TASK_TIME_LIMIT was failed while it kept
      // running, and a re-driven upload has a newer job. Either way the transaction is undone, avatar included.
      const finished = await manager.update(AvatarUpload, { id: upload.id, jobId: upload.jobId!, status: 'processing' }, {
        status: 'done',
        storageKey: main.key,
        images,
        placeholder: rendered.placeholder,
        width: rendered.source.width,
        height: rendered.source.height,
        error: null,
        finishedAt: new Date(),
      });
      if (!finished.affected) await this.refuseCommit(manager, upload);
      // Whatever is no longer the avatar goes after the grace period: the replaced avatar, or this upload if it lost.
      const unused = applied ? keysOf(previous) : images.map((image) => image.key);
      if (unused.length > 0) await this.scheduleDeletion({ userId: upload.userId, keys: unused });
      return applied;
    });
  }

  /** Why an upload this job no longer owns cannot be committed. */
  private async refuseCommit(manager: EntityManager, upload: AvatarUpload): Promise<never> {
    const current = await manager.findOne(AvatarUpload, { where: { id: upload.id }, select: { id: true, status: true, error: true } });
    if (current?.status === 'failed') throw new UploadAlreadyFailedError(current.error ?? 'the upload failed');
    throw new JobSupersededError(`upload ${upload.id} was finished or re-driven while job ${upload.jobId} ran`);
  }

  /**
   * After the commit the upload is done whatever happens here: removing the staged file or a direct upload's temporary
   * object is best effort (a failure is logged; the scheduled cleanup removes what is left), never an error. The job's
   * completion reports progress 100.
   */
  private async afterCommit(upload: AvatarUpload): Promise<void> {
    await this.discardSource(upload).catch((error: Error) =>
      this.logger.warn(`upload ${upload.id} is done, but removing its source failed: ${error.message}`),
    );
  }

  private async scheduleDeletion(job: DeleteObjectsJob): Promise<void> {
    await this.maintenance.add(DELETE_OBJECTS_JOB, this.codec.encodeTask(job), { delay: this.config.deleteGraceSec * 1000 });
  }

  private outcomeOf(upload: AvatarUpload, applied: boolean): UploadOutcome {
    return { uploadId: upload.id, status: 'done', avatarUrl: this.storage.urlFor(upload.storageKey!), applied };
  }
}

/** The API's count of the source's JPEG scans, if the task carries a plausible one (a payload is data from Redis). */
function countedScans({ jpegScans }: UploadAvatarJob): number | undefined {
  return typeof jpegScans === 'number' && Number.isSafeInteger(jpegScans) && jpegScans >= 0 ? jpegScans : undefined;
}

/** `crop` undefined leaves it unrecorded (a re-render of an avatar set before crops were recorded). */
export function avatarObjectsOf(rendered: RenderedAvatar, images: StoredImage[], crop: SourceCrop | null | undefined): AvatarObjects {
  const original = images.find((image) => image.role === 'original');
  const bySize = (role: StoredImage['role']) => Object.fromEntries(images.filter((i) => i.role === role).map((i) => [String(i.size), i.key]));
  const avif = bySize('avif');
  return {
    variants: bySize('variant'),
    ...(Object.keys(avif).length > 0 ? { avif } : {}),
    jpeg: images.find((image) => image.role === 'jpeg')!.key,
    ...(original ? { original: original.key } : {}),
    placeholder: rendered.placeholder,
    width: rendered.source.width,
    height: rendered.source.height,
    ...(crop !== undefined ? { crop } : {}),
  };
}
