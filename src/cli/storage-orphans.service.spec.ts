import { AvatarObjectRemoval } from '../avatars/avatar-object-removal';
import { ListedObject, StorageDriver } from '../storage/storage-driver';
import { StorageOrphans } from './storage-orphans.service';

const LONG_AGO = new Date('2026-01-01T00:00:00Z');
const listed = (key: string): ListedObject => ({ key, size: 1, storedAt: LONG_AGO }) as ListedObject;

describe(StorageOrphans.name, () => {
  // User 7's avatar uses a.webp; b.webp and c.webp are orphans when listed, but c.webp becomes the avatar again (an
  // upload of the same bytes) before the sweep deletes: the deletion under the user's lock spares it.
  const objects = ['avatars/7/a.webp', 'avatars/7/b.webp', 'avatars/7/c.webp', 'incoming/7/stale'];
  let deletedDirectly: string[];
  let removedUnderLock: Array<{ userId: number; keys: string[] }>;
  let orphans: StorageOrphans;

  beforeEach(() => {
    deletedDirectly = [];
    removedUnderLock = [];
    const storage = {
      async *list(prefix: string) {
        for (const key of objects.filter((k) => k.startsWith(prefix))) yield listed(key);
      },
      delete: async (keys: string[]) => void deletedDirectly.push(...keys),
    } as unknown as StorageDriver;
    const users = { find: async () => [{ id: 7, avatar: { variants: { 512: 'avatars/7/a.webp' }, jpeg: 'avatars/7/a.webp' } }] };
    const none = { find: async () => [] };
    const removal = {
      removeUnused: async (userId: number, keys: string[]) => {
        removedUnderLock.push({ userId, keys });
        return keys.filter((key) => key !== 'avatars/7/c.webp');
      },
    } as unknown as AvatarObjectRemoval;
    orphans = new StorageOrphans(storage, users as never, none as never, none as never, removal);
  });

  it('deletes avatar objects user by user under the lock, counting only what was deleted, and temporary ones directly', async () => {
    const report = await orphans.sweep(new Date(), true);
    expect(report.orphans.map((object) => object.key)).toEqual(['avatars/7/b.webp', 'avatars/7/c.webp', 'incoming/7/stale']);
    expect(removedUnderLock).toEqual([{ userId: 7, keys: ['avatars/7/b.webp', 'avatars/7/c.webp'] }]);
    expect(deletedDirectly).toEqual(['incoming/7/stale']);
    expect(report.deleted).toBe(2);
  });

  it('deletes nothing without --delete', async () => {
    const report = await orphans.sweep(new Date(), false);
    expect(report.orphans).toHaveLength(3);
    expect(report.deleted).toBe(0);
    expect(removedUnderLock).toEqual([]);
    expect(deletedDirectly).toEqual([]);
  });
});
