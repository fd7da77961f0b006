import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { StorageDriver } from '../storage/storage-driver';
import { MeDto, PublicUserDto } from './dto/public-user.dto';
import { AvatarObjects, User, UserRole } from './user.entity';

/** The avatar a finished upload wants to set, with what decides whether it is the newest. */
export interface AvatarChange {
  uploadId: string;
  uploadedAt: Date;
  objects: AvatarObjects;
  url: string;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly storage: StorageDriver,
  ) {}

  /** Returns null when the username is taken. */
  async create(username: string, passwordHash: string): Promise<User | null> {
    try {
      return await this.users.save(this.users.create({ username, passwordHash }));
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === 'ER_DUP_ENTRY') return null;
      throw error;
    }
  }

  findCredentials(username: string): Promise<Pick<User, 'id' | 'passwordHash'> | null> {
    return this.users.findOne({ where: { username }, select: { id: true, passwordHash: true } });
  }

  async replacePasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  exists(id: number): Promise<boolean> {
    return this.users.existsBy({ id });
  }

  async profile(id: number): Promise<MeDto> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return { ...this.publicView(user), createdAt: user.createdAt };
  }

  async publicProfile(id: number): Promise<PublicUserDto> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return this.publicView(user);
  }

  /** Null when there is no such user. */
  async roleOf(id: number): Promise<UserRole | null> {
    const user = await this.users.findOne({ where: { id }, select: { id: true, role: true } });
    return user?.role ?? null;
  }

  /** Returns the user's id, or null when there is no such username. */
  async setRole(username: string, role: UserRole): Promise<number | null> {
    const user = await this.users.findOne({ where: { username }, select: { id: true } });
    if (!user) return null;
    await this.users.update({ id: user.id }, { role });
    return user.id;
  }

  /** Locks the user row for the rest of the transaction: avatar changes and deletions of old objects serialize on it. */
  async lockAvatar(manager: EntityManager, userId: number): Promise<AvatarObjects | null> {
    const user = await manager.findOne(User, { where: { id: userId }, lock: { mode: 'pessimistic_write' } });
    return user?.avatar ?? null;
  }

  /**
   * Sets the avatar only if this upload was received after the one behind the current avatar, so when uploads
   * race the later one wins whatever order their jobs finish in. Returns whether it was set.
   */
  async setAvatarIfNewer(manager: EntityManager, userId: number, change: AvatarChange): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(User)
      .set({
        avatarUrl: change.url,
        avatar: change.objects,
        avatarUploadId: change.uploadId,
        avatarUploadedAt: change.uploadedAt,
        avatarUpdatedAt: () => 'CURRENT_TIMESTAMP(6)',
      })
      .where('id = :userId', { userId })
      .andWhere(
        '(avatar_uploaded_at IS NULL OR avatar_uploaded_at < :uploadedAt OR ' +
          '(avatar_uploaded_at = :uploadedAt AND avatar_upload_id < :uploadId))',
        { uploadedAt: change.uploadedAt, uploadId: change.uploadId },
      )
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Clears the avatar. The removal's time takes the place of the upload time, so that only uploads received after it
   * can set an avatar again (see setAvatarIfNewer).
   */
  async clearAvatar(manager: EntityManager, userId: number): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(User)
      .set({
        avatarUrl: null,
        avatar: null,
        avatarUploadId: null,
        avatarUploadedAt: () => 'CURRENT_TIMESTAMP(6)',
        avatarUpdatedAt: () => 'CURRENT_TIMESTAMP(6)',
      })
      .where('id = :userId', { userId })
      .execute();
  }

  /** Replaces the avatar's objects in place (a re-render); the caller holds the row lock (`lockAvatar`). */
  async replaceAvatar(manager: EntityManager, userId: number, objects: AvatarObjects, url: string): Promise<void> {
    await manager.update(User, { id: userId }, { avatar: objects, avatarUrl: url, avatarUpdatedAt: () => 'CURRENT_TIMESTAMP(6)' });
  }

  private publicView(user: User): PublicUserDto {
    const avatar = user.avatar;
    if (!avatar) return { id: user.id, username: user.username, avatarUrl: null, avatar: null };
    const urls = (keys: Record<string, string>) => Object.fromEntries(Object.entries(keys).map(([size, key]) => [size, this.storage.urlFor(key)]));
    const variants = urls(avatar.variants);
    const largest = Object.keys(avatar.variants).sort((a, b) => Number(b) - Number(a))[0];
    return {
      id: user.id,
      username: user.username,
      avatarUrl: this.storage.urlFor(avatar.variants[largest]),
      avatar: {
        variants,
        ...(avatar.avif ? { avif: urls(avatar.avif) } : {}),
        jpeg: this.storage.urlFor(avatar.jpeg),
        ...(avatar.original ? { original: this.storage.urlFor(avatar.original) } : {}),
        placeholder: avatar.placeholder,
        width: avatar.width,
        height: avatar.height,
        updatedAt: user.avatarUpdatedAt!,
      },
    };
  }
}
