import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A key the server issued for one client direct upload; confirming it once turns it into an avatar upload. */
@Entity({ name: 'direct_upload_tickets' })
export class DirectUploadTicketRecord {
  @PrimaryColumn({ name: 'object_key', type: 'varchar', length: 255 })
  key: string;

  @Column({ name: 'user_id', unsigned: true })
  userId: number;

  @Column({ name: 'max_bytes', type: 'int', unsigned: true })
  maxBytes: number;

  @Column({ name: 'expires_at', type: 'datetime', precision: 6 })
  expiresAt: Date;

  @Column({ name: 'upload_id', type: 'char', length: 36, nullable: true })
  uploadId: string | null;

  @CreateDateColumn({ name: 'created_at', precision: 6 })
  createdAt: Date;
}
