import type { SourceCrop } from '../images/avatar-image.renderer';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type UploadStatus = 'queued' | 'processing' | 'done' | 'failed';
export type UploadSource = 'server' | 'direct';

/** One stored object of a processed upload. */
export interface StoredImage {
  role: 'variant' | 'avif' | 'jpeg' | 'original';
  size: number | null;
  key: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

@Entity({ name: 'avatar_uploads' })
@Index('idx_avatar_uploads_user', ['userId', 'createdAt'])
@Index('idx_avatar_uploads_status', ['status', 'finishedAt'])
export class AvatarUpload {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'user_id', unsigned: true })
  userId: number;

  @Column({ type: 'enum', enum: ['server', 'direct'] })
  source: UploadSource;

  @Column({ type: 'enum', enum: ['queued', 'processing', 'done', 'failed'] })
  status: UploadStatus;

  /** sha256 of the received bytes. */
  @Column({ type: 'char', length: 64, nullable: true })
  checksum: string | null;

  @Column({ type: 'int', unsigned: true, nullable: true })
  size: number | null;

  @Column({ name: 'content_type', type: 'varchar', length: 64, nullable: true })
  contentType: string | null;

  @Column({ name: 'staged_path', type: 'varchar', length: 1024, nullable: true })
  stagedPath: string | null;

  /** The temporary object in the store: a direct upload's, or a server-side upload's with STAGING=storage. */
  @Column({ name: 'direct_key', type: 'varchar', length: 512, nullable: true })
  directKey: string | null;

  /** The square the client chose, in pixels of the upright upload (kept so that a re-driven job still applies it). */
  @Column({ type: 'json', nullable: true })
  crop: SourceCrop | null;

  /** The key of the main stored object (the largest WebP variant). */
  @Column({ name: 'storage_key', type: 'varchar', length: 512, nullable: true })
  storageKey: string | null;

  @Column({ type: 'json', nullable: true })
  images: StoredImage[] | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  placeholder: string | null;

  @Column({ type: 'int', unsigned: true, nullable: true })
  width: number | null;

  @Column({ type: 'int', unsigned: true, nullable: true })
  height: number | null;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  error: string | null;

  @Column({ type: 'int', unsigned: true, default: 0 })
  attempts: number;

  @Column({ name: 'job_id', type: 'varchar', length: 64, nullable: true })
  jobId: string | null;

  @CreateDateColumn({ name: 'created_at', precision: 6 })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'datetime', precision: 6, nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'datetime', precision: 6, nullable: true })
  finishedAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', precision: 6 })
  updatedAt: Date;
}
