import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { SourceCrop } from '../images/avatar-image.renderer';

/** Storage keys of the current avatar; URLs are derived from them when read (private buckets sign per request). */
export interface AvatarObjects {
  variants: Record<string, string>;
  /** AVIF variants by size, when AVATAR_FORMATS includes avif. */
  avif?: Record<string, string>;
  jpeg: string;
  original?: string;
  placeholder: string;
  width: number;
  height: number;
  /**
   * The square the client chose in the upload, or null for none: what a re-render from the kept original applies
   * again. Absent on avatars set before it was recorded.
   */
  crop?: SourceCrop | null;
}

/** Every stored object of an avatar (not the inline placeholder); none for no avatar. */
export function keysOf(avatar: AvatarObjects | null): string[] {
  if (!avatar) return [];
  return [...Object.values(avatar.variants), ...Object.values(avatar.avif ?? {}), avatar.jpeg, ...(avatar.original ? [avatar.original] : [])];
}

export type UserRole = 'user' | 'admin';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn({ unsigned: true })
  id: number;

  @Column({ length: 32, unique: true })
  username: string;

  @Column({ name: 'password_hash', length: 255, select: false })
  passwordHash: string;

  /** `admin` opens the queue dashboard and admin-only routes. */
  @Column({ type: 'enum', enum: ['user', 'admin'], default: 'user' })
  role: UserRole;

  /** Public URL of the largest WebP variant, as stored for consumers that read the row directly. */
  @Column({ name: 'avatar_url', type: 'varchar', length: 1024, nullable: true })
  avatarUrl: string | null;

  @Column({ name: 'avatar', type: 'json', nullable: true })
  avatar: AvatarObjects | null;

  @Column({ name: 'avatar_upload_id', type: 'char', length: 36, nullable: true })
  avatarUploadId: string | null;

  /** When the upload behind the current avatar was received: a finishing upload replaces it only if newer. */
  @Column({ name: 'avatar_uploaded_at', type: 'datetime', precision: 6, nullable: true })
  avatarUploadedAt: Date | null;

  @Column({ name: 'avatar_updated_at', type: 'datetime', precision: 6, nullable: true })
  avatarUpdatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', precision: 6 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', precision: 6 })
  updatedAt: Date;
}
