import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, MoreThan, Repository } from 'typeorm';
import { AvatarUpload } from '../avatars/avatar-upload.entity';
import { DirectUploadTicketRecord } from '../avatars/direct-upload-ticket.entity';
import { AvatarObjectRemoval } from '../avatars/avatar-object-removal';
import { ListedObject, StorageDriver } from '../storage/storage-driver';
import { keysOf, User } from '../users/user.entity';

export interface OrphanReport {
  scanned: number;
  orphans: ListedObject[];
  deleted: number;
}

const BATCH = 500;
const userIdOf = (key: string): number => Number(key.split('/')[1]);

/**
 * Objects nothing needs: under `avatars/`, those no user's current avatar references (a lost deletion job, a crash
 * between storing and committing); under `incoming/`, temporary uploads with no open ticket (unconfirmed and not
 * yet expired) and no upload still queued or processing. Objects newer than `storedBefore` are left alone: an upload
 * in flight stores its objects before it commits them.
 */
@Injectable()
export class StorageOrphans {
  constructor(
    private readonly storage: StorageDriver,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    @InjectRepository(DirectUploadTicketRecord) private readonly tickets: Repository<DirectUploadTicketRecord>,
    private readonly removal: AvatarObjectRemoval,
  ) {}

  async sweep(storedBefore: Date, remove: boolean): Promise<OrphanReport> {
    const report: OrphanReport = { scanned: 0, orphans: [], deleted: 0 };
    for (const [prefix, inUse] of [
      ['avatars/', (batch: ListedObject[]) => this.avatarKeysInUse(batch)],
      ['incoming/', (batch: ListedObject[]) => this.temporaryKeysInUse(batch)],
    ] as const) {
      let batch: ListedObject[] = [];
      const settle = async () => {
        const needed = await inUse(batch);
        const orphans = batch.filter((object) => object.storedAt < storedBefore && !needed.has(object.key));
        if (remove && orphans.length > 0) report.deleted += await this.remove(orphans);
        report.orphans.push(...orphans);
        batch = [];
      };
      for await (const object of this.storage.list(prefix)) {
        report.scanned += 1;
        batch.push(object);
        if (batch.length === BATCH) await settle();
      }
      if (batch.length > 0) await settle();
    }
    return report;
  }

  private async avatarKeysInUse(batch: ListedObject[]): Promise<Set<string>> {
    const ids = [...new Set(batch.map((object) => userIdOf(object.key)).filter(Number.isInteger))];
    const users = ids.length > 0 ? await this.users.find({ where: { id: In(ids) }, select: { id: true, avatar: true } }) : [];
    return new Set(users.flatMap((user) => keysOf(user.avatar)));
  }

  private async temporaryKeysInUse(batch: ListedObject[]): Promise<Set<string>> {
    const keys = batch.map((object) => object.key);
    const [open, pending] = await Promise.all([
      this.tickets.find({ where: { key: In(keys), uploadId: IsNull(), expiresAt: MoreThan(new Date()) }, select: { key: true } }),
      this.uploads.find({ where: { directKey: In(keys), status: In(['queued', 'processing']) }, select: { id: true, directKey: true } }),
    ]);
    return new Set([...open.map((ticket) => ticket.key), ...pending.map((upload) => upload.directKey!)]);
  }

  /**
   * Avatar objects go user by user under the user's row lock, spared if they became the avatar again since they were
   * found (an upload of identical bytes); temporary objects go at once. Returns how many were deleted.
   */
  private async remove(orphans: ListedObject[]): Promise<number> {
    const byOwner = new Map<number, string[]>();
    const temporary: string[] = [];
    for (const { key } of orphans) {
      const owner = key.startsWith('avatars/') ? userIdOf(key) : NaN;
      if (Number.isInteger(owner)) byOwner.set(owner, [...(byOwner.get(owner) ?? []), key]);
      else temporary.push(key);
    }
    let deleted = 0;
    for (const [userId, keys] of byOwner) deleted += (await this.removal.removeUnused(userId, keys)).length;
    if (temporary.length > 0) await this.storage.delete(temporary);
    return deleted + temporary.length;
  }
}
