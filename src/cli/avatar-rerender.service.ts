import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, IsNull, MoreThan, Not, Repository } from 'typeorm';
import { StoredImage } from '../avatars/avatar-upload.entity';
import { avatarObjectsOf } from '../avatars/jobs/avatar-processing.service';
import { avatarConfig } from '../config/avatar.config';
import { queueConfig } from '../config/queue.config';
import { AvatarImageRenderer } from '../images/avatar-image.renderer';
import { JobCodec } from '../queue/job-codec';
import { DELETE_OBJECTS_JOB, DeleteObjectsJob, MAINTENANCE_QUEUE } from '../queue/queue.constants';
import { StorageDriver } from '../storage/storage-driver';
import { StorageUnavailableError } from '../storage/storage.errors';
import { AvatarObjects, keysOf, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export interface RerenderPlan {
  /** Avatars this run would re-render. */
  total: number;
  /** An interrupted run's checkpoint: this run continues after that user id (0: from the start). */
  resumeAfter: number;
  /** Only this user (no checkpoint). */
  userId?: number;
}

export interface RerenderResult {
  userId: number;
  /** `superseded`: the user's avatar changed meanwhile (a new upload, a removal), which already has the settings. */
  outcome: 'rerendered' | 'superseded' | 'failed';
  reason?: string;
}

const PAGE = 100;
const sameObjects = (a: AvatarObjects | null, b: AvatarObjects | null) => keysOf(a).sort().join() === keysOf(b).sort().join();

/**
 * Re-renders current avatars with today's AVATAR_SIZES / AVATAR_FORMATS / encoders, so users who uploaded before a
 * change get the new variants. The source is the kept original when the crop it was rendered with is known, else the
 * largest WebP variant (already square; larger new sizes are then upscaled from it). A run walks users in id order and
 * leaves a checkpoint in Redis after each one, so an interrupted run resumes where it stopped.
 */
@Injectable()
export class AvatarRerender {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    @Inject(queueConfig.KEY) private readonly queueSettings: ConfigType<typeof queueConfig>,
    private readonly renderer: AvatarImageRenderer,
    private readonly storage: StorageDriver,
    private readonly usersService: UsersService,
    private readonly codec: JobCodec,
  ) {}

  async plan(userId?: number, fromScratch = false): Promise<RerenderPlan> {
    if (userId !== undefined) {
      return { total: await this.users.countBy({ id: userId, avatar: Not(IsNull()) }), resumeAfter: 0, userId };
    }
    if (fromScratch) await this.clearCheckpoint();
    const checkpoint = await this.readCheckpoint();
    // A checkpoint left under other settings belongs to another run: this one starts over.
    const resumeAfter = checkpoint?.settings === this.settings() ? checkpoint.after : 0;
    return { total: await this.users.countBy({ id: MoreThan(resumeAfter), avatar: Not(IsNull()) }), resumeAfter };
  }

  /** Re-renders up to `limit` avatars of the plan, one at a time; the checkpoint goes once the whole plan is done. */
  async *run(plan: RerenderPlan, limit = Infinity): AsyncGenerator<RerenderResult> {
    let after = plan.resumeAfter;
    let done = 0;
    for (;;) {
      const page = await this.users.find({
        where: { id: plan.userId ?? MoreThan(after), avatar: Not(IsNull()) },
        select: { id: true },
        order: { id: 'ASC' },
        take: PAGE,
      });
      if (page.length === 0 || plan.userId !== undefined) {
        for (const { id } of page) yield await this.rerenderOne(id);
        if (plan.userId === undefined) await this.clearCheckpoint();
        return;
      }
      for (const { id } of page) {
        if (done === limit) return;
        yield await this.rerenderOne(id);
        done += 1;
        after = id;
        await this.writeCheckpoint(after);
      }
    }
  }

  private async rerenderOne(userId: number): Promise<RerenderResult> {
    const user = await this.users.findOne({ where: { id: userId }, select: { id: true, avatar: true } });
    const current = user?.avatar ?? null;
    if (!current) return { userId, outcome: 'superseded' };
    const workDir = await mkdtemp(join(tmpdir(), 'avatar-rerender-'));
    const stored: StoredImage[] = [];
    try {
      const fromOriginal = current.original !== undefined && current.crop !== undefined;
      const source = join(workDir, 'source');
      await this.storage.download(fromOriginal ? current.original! : largestVariant(current), source);
      const rendered = await this.renderer.render(source, undefined, fromOriginal ? (current.crop ?? undefined) : undefined);
      // The kept original stays as it is: re-encoding it would only lose quality.
      for (const image of rendered.images.filter((image) => image.role !== 'original')) {
        const key = `avatars/${userId}/${image.sha256}.${image.extension}`;
        await this.storeVerified(key, image.data, image.contentType);
        stored.push({ role: image.role, size: image.size, key, contentType: image.contentType, width: image.width, height: image.height, bytes: image.bytes });
      }
      const objects: AvatarObjects = {
        ...avatarObjectsOf(rendered, stored, current.crop),
        ...(current.original ? { original: current.original } : {}),
        // Rendered from a variant, the source is a square: the upload's own dimensions are the ones to keep.
        width: fromOriginal ? rendered.source.width : current.width,
        height: fromOriginal ? rendered.source.height : current.height,
      };
      return { userId, outcome: await this.commit(userId, current, objects) };
    } catch (error) {
      const kept = new Set(keysOf(current));
      const unused = stored.map((image) => image.key).filter((key) => !kept.has(key));
      if (unused.length > 0) await this.scheduleDeletion({ userId, keys: unused }).catch(() => undefined);
      return { userId, outcome: 'failed', reason: (error as Error).message };
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Like an upload's commit: under the user's row lock, and only if the avatar is still the one re-rendered. */
  private async commit(userId: number, rendered: AvatarObjects, objects: AvatarObjects): Promise<RerenderResult['outcome']> {
    return this.dataSource.transaction(async (manager) => {
      const latest = await this.usersService.lockAvatar(manager, userId);
      const kept = new Set(keysOf(objects));
      if (!sameObjects(latest, rendered)) {
        const inUse = new Set(keysOf(latest));
        await this.scheduleDeletion({ userId, keys: [...kept].filter((key) => !inUse.has(key)) });
        return 'superseded';
      }
      // A deletion job may have removed an identical older object between the put and this lock.
      const present = await Promise.all([...kept].map((key) => this.storage.stat(key)));
      if (present.some((object) => object === null)) throw new StorageUnavailableError('a stored object vanished; run again');
      await this.usersService.replaceAvatar(manager, userId, objects, this.storage.urlFor(largestVariant(objects)));
      const unused = keysOf(rendered).filter((key) => !kept.has(key));
      if (unused.length > 0) await this.scheduleDeletion({ userId, keys: unused });
      return 'rerendered';
    });
  }

  private async storeVerified(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const expectedHash = this.storage.hashOf(bytes);
    const stored = await this.storage.putBuffer(key, bytes, contentType, expectedHash);
    if (stored.key !== key || stored.hash !== expectedHash) {
      throw new StorageUnavailableError(`storage reported ${stored.key}@${stored.hash}, expected ${key}@${expectedHash}`);
    }
  }

  /** Replaced objects go after the grace period, by the workers, exactly like a replaced avatar's. */
  private async scheduleDeletion(job: DeleteObjectsJob): Promise<void> {
    if (job.keys.length === 0) return;
    await this.maintenance.add(DELETE_OBJECTS_JOB, this.codec.encodeTask(job), { delay: this.config.deleteGraceSec * 1000 });
  }

  private settings(): string {
    return JSON.stringify({ sizes: this.config.sizes, formats: this.config.formats });
  }

  private get checkpointKey(): string {
    return `${this.queueSettings.prefix}:rerender:checkpoint`;
  }

  private async readCheckpoint(): Promise<{ after: number; settings: string } | null> {
    const raw = await this.maintenance.client.get(this.checkpointKey);
    return raw ? (JSON.parse(raw) as { after: number; settings: string }) : null;
  }

  private async writeCheckpoint(after: number): Promise<void> {
    await this.maintenance.client.set(this.checkpointKey, JSON.stringify({ after, settings: this.settings() }));
  }

  private async clearCheckpoint(): Promise<void> {
    await this.maintenance.client.del(this.checkpointKey);
  }
}

function largestVariant(avatar: AvatarObjects): string {
  const size = Math.max(...Object.keys(avatar.variants).map(Number));
  return avatar.variants[String(size)];
}
