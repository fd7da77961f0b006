import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How many jobs deleting a user's avatar objects have started, and how many have finished. */
@Entity({ name: 'object_deletion_counts' })
export class ObjectDeletionCount {
  @PrimaryColumn({ name: 'user_id', unsigned: true })
  userId: number;

  @Column({ type: 'int', unsigned: true, default: 0 })
  started: number;

  @Column({ type: 'int', unsigned: true, default: 0 })
  finished: number;
}
