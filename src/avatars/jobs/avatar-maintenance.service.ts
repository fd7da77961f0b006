import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource, In, IsNull, LessThan, Repository } from 'typeorm';
import { avatarConfig } from '../../config/avatar.config';
import { DeleteObjectsJob } from '../../queue/queue.constants';
import { StorageDriver } from '../../storage/storage-driver';
import { AvatarUpload } from '../avatar-upload.entity';
import { DirectUploadTicketRecord } from '../direct-upload-ticket.entity';
import { AvatarObjectRemoval } from '../avatar-object-removal';

export interface CleanupReport {
  removedFiles: number;
  abandonedDirectUploads: number;
  strayTemporaryObjects: number;
}

/** Housekeeping run by the worker: old avatar objects after their grace period, and the staging folder. */
@Injectable()
export class AvatarMaintenanceService {
  private readonly logger = new Logger(AvatarMaintenanceService.name);

  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: StorageDriver,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    @InjectRepository(DirectUploadTicketRecord) private readonly tickets: Repository<DirectUploadTicketRecord>,
    private readonly removal: AvatarObjectRemoval,
  ) {}

  /** The deletion job of a replaced avatar's objects, after its grace period (see AvatarObjectRemoval). */
  async deleteUnusedObjects({ userId, keys }: DeleteObjectsJob): Promise<string[]> {
    const deleted = await this.removal.removeUnused(userId, keys);
    if (deleted.length > 0) this.logger.log(`deleted ${deleted.length} replaced avatar object(s) of user ${userId}`);
    return deleted;
  }

  /**
   * Removes staged files of uploads that finished (done or failed) more than STAGING_RETENTION_HOURS ago, files no
   * upload row knows about that are as old (an API that died mid-request, a row that was rolled back), and the
   * temporary objects of direct uploads whose token expired that long ago without a confirm.
   */
  async cleanStaging(now = new Date()): Promise<CleanupReport> {
    const cutoff = now.getTime() - this.config.stagingRetentionHours * 3_600_000;
    const entries = await readdir(this.config.stagingDir).catch(() => [] as string[]);
    const candidates: { name: string; path: string }[] = [];
    for (const name of entries) {
      const path = join(this.config.stagingDir, name);
      const info = await stat(path).catch(() => null);
      if (info && info.mtimeMs < cutoff) candidates.push({ name, path });
    }
    // Staged files are named after their upload, a worker's scratch folders `work-<upload id>`.
    const uploadIdOf = (name: string) => /^(?:work-)?([0-9a-f-]{36})$/.exec(name)?.[1];
    const ids = candidates.map((c) => uploadIdOf(c.name)).filter((id): id is string => id !== undefined);
    const rows = ids.length > 0 ? await this.uploads.find({ where: { id: In(ids) }, select: { id: true, status: true } }) : [];
    const statusById = new Map(rows.map((row) => [row.id, row.status]));
    let removedFiles = 0;
    for (const { name, path } of candidates) {
      const id = uploadIdOf(name);
      const status = id ? statusById.get(id) : undefined;
      // Queued or processing uploads keep their file however old it is: a worker still needs it.
      if (status === 'queued' || status === 'processing') continue;
      await rm(path, { recursive: true, force: true });
      removedFiles += 1;
    }
    if (removedFiles > 0) this.logger.log(`staging cleanup removed ${removedFiles} file(s)`);
    const abandonedDirectUploads = await this.removeAbandonedDirectUploads(new Date(cutoff));
    const strayTemporaryObjects = await this.removeStrayTemporaryObjects(new Date(cutoff));
    await this.storage.forgetExpiredUploadClaims(now);
    return { removedFiles, abandonedDirectUploads, strayTemporaryObjects };
  }

  /**
   * Objects under `incoming/` older than the cutoff that nothing will read: no open ticket (issued, unconfirmed, the
   * client may still confirm) and no upload queued or processing from them. E.g. a direct upload whose ticket was
   * confirmed and processed, then uploaded again, or bytes written by anyone but our own endpoints.
   */
  private async removeStrayTemporaryObjects(storedBefore: Date): Promise<number> {
    let removed = 0;
    let batch: string[] = [];
    const settle = async () => {
      const [open, pending] = await Promise.all([
        this.tickets.find({ where: { key: In(batch), uploadId: IsNull() }, select: { key: true } }),
        this.uploads.find({ where: { directKey: In(batch), status: In(['queued', 'processing']) }, select: { id: true, directKey: true } }),
      ]);
      const needed = new Set([...open.map((ticket) => ticket.key), ...pending.map((upload) => upload.directKey)]);
      const stray = batch.filter((key) => !needed.has(key));
      if (stray.length > 0) await this.storage.delete(stray);
      removed += stray.length;
      batch = [];
    };
    for await (const object of this.storage.list('incoming/')) {
      if (object.storedAt >= storedBefore) continue; // an upload in flight, or one the client has yet to confirm
      batch.push(object.key);
      if (batch.length === 500) await settle();
    }
    if (batch.length > 0) await settle();
    if (removed > 0) this.logger.log(`removed ${removed} temporary object(s) no ticket or upload needs`);
    return removed;
  }

  /** Temporary objects of tokens that expired without being confirmed, and their tickets, go. */
  private async removeAbandonedDirectUploads(olderThan: Date): Promise<number> {
    const abandoned = await this.tickets.find({ where: { uploadId: IsNull(), expiresAt: LessThan(olderThan) }, take: 1000 });
    if (abandoned.length === 0) return 0;
    await this.storage.delete(abandoned.map((ticket) => ticket.key));
    await this.tickets.delete(abandoned.map((ticket) => ticket.key));
    this.logger.log(`removed ${abandoned.length} abandoned direct upload(s)`);
    return abandoned.length;
  }
}
