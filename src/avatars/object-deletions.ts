import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ObjectDeletionCount } from './object-deletion-count.entity';

export type DeletionTally = Pick<ObjectDeletionCount, 'started' | 'finished'>;

/**
 * Tells a commit whether objects it stored may have been deleted since, without asking storage. Whatever deletes a
 * user's avatar objects announces itself first (committed at once) and counts itself finished once done, failed
 * deletions included; the deletion job finishes in the transaction that holds the user's row lock while it deletes.
 * So if the tally read before storing equals the tally read under the lock at commit, and nothing is unfinished, no
 * deletion touched this user's objects in between. A deleter that died midway stays unfinished: that user's commits
 * then check storage, to be safe.
 */
@Injectable()
export class ObjectDeletions {
  constructor(@InjectRepository(ObjectDeletionCount) private readonly counts: Repository<ObjectDeletionCount>) {}

  /**
   * Outside a transaction: before storing. Inside one, after the user's row lock: a locking read, so it sees the
   * latest committed tally rather than the transaction's snapshot (FOR UPDATE: MariaDB has no FOR SHARE).
   */
  async tally(userId: number, manager?: EntityManager): Promise<DeletionTally> {
    const row = manager
      ? await manager.findOne(ObjectDeletionCount, { where: { userId }, lock: { mode: 'pessimistic_write' } })
      : await this.counts.findOneBy({ userId });
    return { started: row?.started ?? 0, finished: row?.finished ?? 0 };
  }

  async announce(userId: number): Promise<void> {
    await this.counts.query(
      'INSERT INTO object_deletion_counts (user_id, started) VALUES (?, 1) ON DUPLICATE KEY UPDATE started = started + 1',
      [userId],
    );
  }

  /** The deletion job: in the transaction that holds the user's row lock while deleting. */
  async finish(userId: number, manager?: EntityManager): Promise<void> {
    await (manager ?? this.counts.manager).increment(ObjectDeletionCount, { userId }, 'finished', 1);
  }
}

export function noDeletionSince(before: DeletionTally, now: DeletionTally): boolean {
  return now.started === before.started && now.finished === before.finished && now.finished === now.started;
}
