import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { StorageDriver } from '../storage/storage-driver';
import { keysOf } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ObjectDeletions } from './object-deletions';

/**
 * Deletes those of a user's avatar objects that the avatar does not use. Runs under the user's row lock, which the
 * commit of a new avatar also takes, so an object that just became the avatar again (same bytes, same key) is never
 * deleted; and a commit of objects stored meanwhile learns from the deletion tally that it must check them (see
 * ObjectDeletions). The worker's deletion jobs and the admin CLI's orphan sweep both delete through here.
 */
@Injectable()
export class AvatarObjectRemoval {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: StorageDriver,
    private readonly users: UsersService,
    private readonly deletions: ObjectDeletions,
  ) {}

  /** Returns the keys it deleted: those of `keys` the avatar does not use. */
  async removeUnused(userId: number, keys: string[]): Promise<string[]> {
    await this.deletions.announce(userId);
    let failure: unknown;
    const unused = await this.dataSource.transaction(async (manager) => {
      const inUse = new Set(keysOf(await this.users.lockAvatar(manager, userId)));
      const unused = [...new Set(keys)].filter((key) => !inUse.has(key));
      if (unused.length > 0) {
        // A deletion that failed halfway may have removed some objects all the same: it still counts as finished.
        await this.storage
          .delete(unused)
          .then(() => this.storage.purgeFromCdn(unused))
          .catch((error: unknown) => (failure = error));
      }
      await this.deletions.finish(userId, manager);
      return unused;
    });
    if (failure) throw failure;
    return unused;
  }
}
