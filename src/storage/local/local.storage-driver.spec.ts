import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { StorageNotFoundError, StorageRejectedError, StorageUnavailableError } from '../storage.errors';
import { LocalStorageDriver } from './local.storage-driver';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe(LocalStorageDriver.name, () => {
  let dir: string;
  let driver: LocalStorageDriver;
  let source: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'local-driver-'));
    driver = new LocalStorageDriver({
      root: join(dir, 'root'),
      publicBaseUrl: 'https://avatars.example.com/static',
      uploadUrl: 'https://api.example.com/storage/local/upload',
      tokenSecret: Buffer.from('test-secret'),
    });
    await driver.onModuleInit(); // makes the root, as at start-up
    source = join(dir, 'source.png');
    writeFileSync(source, Buffer.concat([PNG, Buffer.from('pixels')]));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a file and reports its size, sniffed type and sha256', async () => {
    const stored = await driver.put('avatars/1/a.png', source, 'image/png');
    const bytes = readFileSync(source);
    expect(stored).toEqual({
      key: 'avatars/1/a.png',
      size: bytes.length,
      contentType: 'image/png',
      hash: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(await driver.hashFile(source)).toBe(stored.hash);
    expect(await driver.stat('avatars/1/a.png')).toEqual(stored);
  });

  it('stores a stream, and keeps nothing (not even a partial file) when it is longer than allowed', async () => {
    const bytes = Buffer.concat([PNG, Buffer.alloc(5000, 7)]);
    async function* chunks() {
      for (let offset = 0; offset < bytes.length; offset += 1000) yield bytes.subarray(offset, offset + 1000);
    }
    await expect(driver.putStream('incoming/1/a', chunks(), 10_000)).resolves.toMatchObject({ key: 'incoming/1/a', size: bytes.length, contentType: 'image/png' });
    expect(readFileSync(join(dir, 'root/incoming/1/a'))).toEqual(bytes);
    const err = await driver.putStream('incoming/1/b', chunks(), 2000).catch((e: unknown) => e);
    expect((err as StorageRejectedError).status).toBe(413);
    expect(readdirSync(join(dir, 'root/incoming/1'))).toEqual(['a']);
  });

  it('writes bytes from memory straight to their place and reports their sha256, leaving no temporary file', async () => {
    const bytes = Buffer.concat([PNG, Buffer.from('more pixels')]);

    const stored = await driver.putBuffer('avatars/1/b.png', bytes, 'image/png', driver.hashOf(bytes));

    expect(stored).toEqual({ key: 'avatars/1/b.png', size: bytes.length, contentType: 'image/png', hash: driver.hashOf(bytes) });
    expect(driver.hashOf(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(readFileSync(join(dir, 'root/avatars/1/b.png'))).toEqual(bytes);
    expect(readdirSync(join(dir, 'root/avatars/1'))).toEqual(['b.png']);
    expect(await driver.stat('avatars/1/b.png')).toEqual(stored);
  });

  it('is ready only while its root is the store it made at start-up; otherwise the probe says why', async () => {
    await expect(driver.probe()).resolves.toBeUndefined();
    rmSync(join(dir, 'root'), { recursive: true });
    await expect(driver.probe()).rejects.toThrow(`storage folder ${join(dir, 'root')} is missing`);
    mkdirSync(join(dir, 'root')); // what an unmounted volume leaves: its empty mount point
    await expect(driver.probe()).rejects.toThrow('has no .avatar-pipeline-store: not the store (an unmounted volume?)');
    rmSync(join(dir, 'root'), { recursive: true });
    writeFileSync(join(dir, 'root'), 'not a folder');
    await expect(driver.probe()).rejects.toThrow('is not a folder');
  });

  it('never recreates a root that went away: writes fail as unavailable (worth retrying) and leave nothing', async () => {
    rmSync(join(dir, 'root'), { recursive: true });
    const bytes = Buffer.concat([PNG, Buffer.from('pixels')]);
    await expect(driver.putBuffer('avatars/1/c.png', bytes, 'image/png', driver.hashOf(bytes))).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(driver.put('avatars/1/c.png', source, 'image/png')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(driver.putStream('incoming/1/c', Readable.from([bytes]), 10_000)).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(existsSync(join(dir, 'root'))).toBe(false);
    mkdirSync(join(dir, 'root')); // an empty mount point is not the store either
    await expect(driver.putBuffer('avatars/1/c.png', bytes, 'image/png', driver.hashOf(bytes))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(readdirSync(join(dir, 'root'))).toEqual([]);
    await driver.onModuleInit(); // a restart marks it
    await expect(driver.putBuffer('avatars/1/c.png', bytes, 'image/png', driver.hashOf(bytes))).resolves.toMatchObject({ size: bytes.length });
  });

  it('copies objects out, deletes them, and treats missing keys calmly', async () => {
    await driver.put('avatars/1/a.png', source, 'image/png');
    const copy = join(dir, 'copy');
    await driver.download('avatars/1/a.png', copy);
    expect(readFileSync(copy)).toEqual(readFileSync(source));
    await driver.delete(['avatars/1/a.png', 'avatars/1/never-there.png']);
    expect(await driver.stat('avatars/1/a.png')).toBeNull();
    await expect(driver.download('avatars/1/a.png', copy)).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it.each(['../escape.png', 'avatars/../../escape', '/absolute.png', 'avatars//double', 'avatars/.hidden'])(
    'refuses the key %s that could escape the root',
    async (key) => {
      await expect(driver.put(key, source, 'image/png')).rejects.toBeInstanceOf(StorageRejectedError);
      expect(existsSync(join(dir, 'escape.png'))).toBe(false);
    },
  );

  it('lists the objects under a prefix, whether it ends at a folder or inside a name', async () => {
    for (const key of ['avatars/1/a.png', 'avatars/1/b.png', 'avatars/12/c.png', 'avatars/2/d.png', 'incoming/1/e.png']) {
      await driver.put(key, source, 'image/png');
    }
    const keys = async (prefix: string) => {
      const found: string[] = [];
      for await (const object of driver.list(prefix)) found.push(object.key);
      return found;
    };
    expect(await keys('avatars/1/')).toEqual(['avatars/1/a.png', 'avatars/1/b.png']);
    expect(await keys('avatars/1')).toEqual(['avatars/1/a.png', 'avatars/1/b.png', 'avatars/12/c.png']);
    expect(await keys('incoming/')).toEqual(['incoming/1/e.png']);
    expect(await keys('')).toHaveLength(5);
    expect(await keys('nothing/here/')).toEqual([]);
    const [first] = await (async () => {
      const all = [];
      for await (const object of driver.list('avatars/2/')) all.push(object);
      return all;
    })();
    expect(first).toMatchObject({ key: 'avatars/2/d.png', size: readFileSync(source).length });
    expect(Math.abs(first.storedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('builds public URLs with each key segment encoded', () => {
    expect(driver.urlFor('avatars/1/a b.png')).toBe('https://avatars.example.com/static/avatars/1/a%20b.png');
  });

  it('signs direct-upload tokens that carry the grant and expire', () => {
    const ticket = driver.issueDirectUpload({ key: 'incoming/1/x', maxBytes: 100, allowedTypes: ['image/png'], expiresInSec: 60 });
    expect(ticket.uploadUrl).toBe('https://api.example.com/storage/local/upload');
    expect(driver.verifyUploadToken(ticket.token)).toMatchObject({ key: 'incoming/1/x', maxBytes: 100, allowedTypes: ['image/png'] });

    const [grant, signature] = ticket.token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(grant, 'base64url').toString()), maxBytes: 1e9 }));
    expect(() => driver.verifyUploadToken(`${widened.toString('base64url')}.${signature}`)).toThrow('bad token');

    jest.useFakeTimers({ now: Date.now() + 61_000 });
    try {
      expect(() => driver.verifyUploadToken(ticket.token)).toThrow(/token expired \d+ seconds ago/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('claims a direct-upload token once, gives it back on request, and forgets claims once their token expired', async () => {
    const grant = { key: 'incoming/1/a', maxBytes: 1000, allowedTypes: ['image/png'], deadline: 2_000_000_000 };
    const claims = await Promise.all([driver.claimDirectUpload(grant), driver.claimDirectUpload(grant)]);
    expect(claims.sort()).toEqual([false, true]);

    await driver.releaseDirectUpload(grant.key);
    expect(await driver.claimDirectUpload(grant)).toBe(true);
    expect(await driver.forgetExpiredUploadClaims(new Date(1_999_999_999_000))).toBe(0);
    expect(await driver.forgetExpiredUploadClaims(new Date(2_000_000_001_000))).toBe(1);
    expect(await driver.claimDirectUpload(grant)).toBe(true);
  });

  it('inserts a finished file as an object only while the key is free, never overwriting', async () => {
    const first = join(driver.uploadsInFlightDir, 'first');
    const second = join(driver.uploadsInFlightDir, 'second');
    mkdirSync(driver.uploadsInFlightDir, { recursive: true });
    writeFileSync(first, Buffer.concat([PNG, Buffer.from('one')]));
    writeFileSync(second, Buffer.concat([PNG, Buffer.from('two')]));

    expect(await driver.insertFile('incoming/1/b', first)).toBe(true);
    expect(await driver.insertFile('incoming/1/b', second)).toBe(false);

    expect(readFileSync(driver.pathOf('incoming/1/b')).subarray(PNG.length).toString()).toBe('one');
    expect(readdirSync(driver.uploadsInFlightDir)).toEqual([]);
  });
});
