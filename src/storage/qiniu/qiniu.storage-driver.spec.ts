import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QiniuEmulator } from '../../../test/qiniu-emulator/qiniu-emulator';
import { ACCESS_KEY, emulatorOptions, MiB, pngBytes, SECRET_KEY, writeFixture } from '../../../test/qiniu-emulator/test-fixtures';
import { StorageNotFoundError, StorageRejectedError, StorageUnavailableError } from '../storage.errors';
import { verifyQiniuCallback } from './qiniu-callback';
import { qiniuEtagOfBuffer, qiniuEtagOfFile } from './qiniu-etag';
import { QiniuStorageDriver } from './qiniu.storage-driver';

describe(QiniuStorageDriver.name, () => {
  const emulator = new QiniuEmulator({
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    buckets: ['avatars', { name: 'private-avatars', private: true }],
    port: 0,
  });
  let dir: string;
  let driver: QiniuStorageDriver;

  beforeAll(async () => {
    await emulator.start();
    dir = await mkdtemp(join(tmpdir(), 'qiniu-driver-'));
    driver = new QiniuStorageDriver(emulatorOptions(emulator));
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => emulator.reset());

  const fixture = (name: string, content: Buffer) => writeFixture(dir, name, content);
  const upRequests = () => emulator.requests.filter((r) => r.service === 'up');

  describe('list', () => {
    it('lists the objects under a prefix with their size and upload time, and nothing else', async () => {
      const before = Date.now();
      for (const key of ['avatars/1/a.png', 'avatars/1/b.png', 'avatars/12/c.png', 'incoming/1/d.png']) {
        await driver.put(key, await fixture('listed.png', pngBytes(1_000)), 'image/png');
      }
      const listed = [];
      for await (const object of driver.list('avatars/1/')) listed.push(object);
      expect(listed.map((o) => [o.key, o.size])).toEqual([
        ['avatars/1/a.png', 1_000],
        ['avatars/1/b.png', 1_000],
      ]);
      expect(listed[0].storedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(listed[0].storedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
      const all = [];
      for await (const object of driver.list('')) all.push(object.key);
      expect(all).toHaveLength(4);
    });
  });

  describe('putStream', () => {
    /** A body that arrives in 64 KiB chunks and records how far it has been read, like a request being received. */
    function trickle(bytes: Buffer): { body: AsyncIterable<Buffer>; consumed: () => number } {
      let consumed = 0;
      async function* body() {
        for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
          const chunk = bytes.subarray(offset, offset + 64 * 1024);
          consumed += chunk.length;
          yield chunk;
        }
      }
      return { body: body(), consumed: () => consumed };
    }

    it('sends a stream that fits in one part as one form upload', async () => {
      const bytes = pngBytes(300_000);
      const stored = await driver.putStream('incoming/1/small', trickle(bytes).body, 10 * MiB);
      expect(stored).toMatchObject({ key: 'incoming/1/small', size: 300_000, contentType: 'image/png' });
      expect(emulator.object('avatars', 'incoming/1/small')?.data.equals(bytes)).toBe(true);
      expect(upRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /']);
    });

    it('sends a longer stream as resumable upload v2 in 4 MiB parts, with the standard etag', async () => {
      const bytes = pngBytes(9 * MiB + 5);
      const file = await fixture('stream.png', bytes);
      const stored = await driver.putStream('incoming/1/large', trickle(bytes).body, 10 * MiB);
      expect(stored.hash).toBe(await qiniuEtagOfFile(file));
      expect(emulator.object('avatars', 'incoming/1/large')?.data.equals(bytes)).toBe(true);
      expect(upRequests().filter((r) => r.method === 'PUT')).toHaveLength(3);
      expect(upRequests().some((r) => r.method === 'POST' && r.path === '/')).toBe(false);
    });

    it('reads the next part only once the previous one is stored', async () => {
      emulator.faults.setLatency('up', 300);
      const source = trickle(pngBytes(9 * MiB));
      const upload = driver.putStream('incoming/1/paced', source.body, 10 * MiB);
      // The first part is read, and one chunk of the second to know it is not the last; then the upload waits.
      await new Promise((done) => setTimeout(done, 200));
      expect(source.consumed()).toBeLessThanOrEqual(4 * MiB + 64 * 1024);
      await upload;
      expect(source.consumed()).toBe(9 * MiB);
    });

    it('aborts the multipart upload when the body fails midway, leaving nothing behind', async () => {
      const bytes = pngBytes(6 * MiB);
      async function* body() {
        for (let offset = 0; offset < bytes.length; offset += MiB) yield bytes.subarray(offset, offset + MiB);
        throw new Error('client went away');
      }
      await expect(driver.putStream('incoming/1/cut', body(), 10 * MiB)).rejects.toThrow(/client went away/);
      expect(emulator.object('avatars', 'incoming/1/cut')).toBeUndefined();
      expect(upRequests().map((r) => r.method)).toEqual(['POST', 'PUT', 'DELETE']);
    });

    it('refuses more than maxBytes through the token, storing nothing', async () => {
      const err = await driver.putStream('incoming/1/big', trickle(pngBytes(2 * MiB)).body, MiB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageRejectedError);
      expect((err as StorageRejectedError).status).toBe(413);
      expect(emulator.object('avatars', 'incoming/1/big')).toBeUndefined();
    });

    it('turns an upload 503 into StorageUnavailableError', async () => {
      emulator.faults.failNext('up', 1, 503);
      await expect(driver.putStream('incoming/1/busy', trickle(pngBytes(1000)).body, MiB)).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });

  describe('put', () => {
    it('form-uploads a small file and reports what the store holds', async () => {
      const bytes = pngBytes(20_000);
      const file = await fixture('small.png', bytes);

      const stored = await driver.put('avatars/1/small.png', file, 'image/png');

      expect(stored).toEqual({ key: 'avatars/1/small.png', size: 20_000, contentType: 'image/png', hash: await qiniuEtagOfFile(file) });
      expect(emulator.object('avatars', 'avatars/1/small.png')?.data.equals(bytes)).toBe(true);
      expect(upRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /']);
    });

    it('uses resumable upload v2 above the threshold and gets the standard etag', async () => {
      const bytes = pngBytes(5 * MiB + 123);
      const file = await fixture('large.png', bytes);

      const stored = await driver.put('avatars/1/large.png', file, 'image/png');

      expect(stored.hash).toBe(await qiniuEtagOfFile(file));
      expect(stored.hash.startsWith('l')).toBe(true);
      expect(emulator.object('avatars', 'avatars/1/large.png')?.hash).toBe(stored.hash);
      const parts = upRequests().filter((r) => r.method === 'PUT');
      expect(parts).toHaveLength(2);
      expect(upRequests().some((r) => r.method === 'POST' && r.path === '/')).toBe(false);
    });

    it('form-uploads bytes from memory, several at once, each reported with the etag computed once by the caller', async () => {
      const images = [1000, 20_000, 300_000].map((size) => pngBytes(size));

      const stored = await Promise.all(
        images.map((bytes, i) => driver.putBuffer(`avatars/1/memory-${i}.png`, bytes, 'image/png', driver.hashOf(bytes))),
      );

      expect(stored).toEqual(images.map((bytes, i) => ({ key: `avatars/1/memory-${i}.png`, size: bytes.length, contentType: 'image/png', hash: qiniuEtagOfBuffer(bytes) })));
      images.forEach((bytes, i) => expect(emulator.object('avatars', `avatars/1/memory-${i}.png`)?.data.equals(bytes)).toBe(true));
      expect(upRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /', 'POST /', 'POST /']);
    });

    it('uploads bytes from memory above the threshold with resumable v2 and gets the standard etag', async () => {
      const bytes = pngBytes(5 * MiB + 7);

      const stored = await driver.putBuffer('avatars/1/memory-large.png', bytes, 'image/png', driver.hashOf(bytes));

      expect(stored.hash).toBe(qiniuEtagOfBuffer(bytes));
      expect(emulator.object('avatars', 'avatars/1/memory-large.png')?.data.equals(bytes)).toBe(true);
      expect(upRequests().filter((r) => r.method === 'PUT')).toHaveLength(2);
    });

    it('refuses a reply whose hash is not the one the caller computed', async () => {
      const bytes = pngBytes(1000);
      await expect(driver.putBuffer('avatars/7/memory-wrong.png', bytes, 'image/png', qiniuEtagOfBuffer(pngBytes(1000)))).rejects.toThrow(
        /reports hash/,
      );
    });

    it('keeps the connection alive between uploads', async () => {
      const bytes = pngBytes(1000);
      await driver.putBuffer('avatars/8/kept-alive-0.png', bytes, 'image/png', driver.hashOf(bytes));
      const before = emulator.connectionsAccepted;
      for (let i = 1; i <= 4; i++) {
        const more = pngBytes(1000);
        await driver.putBuffer(`avatars/8/kept-alive-${i}.png`, more, 'image/png', driver.hashOf(more));
      }
      expect(emulator.connectionsAccepted).toBe(before);
    });

    it('treats re-uploading identical bytes as success', async () => {
      const file = await fixture('same.png', pngBytes(1000));
      const first = await driver.put('avatars/2/same.png', file, 'image/png');
      await expect(driver.put('avatars/2/same.png', file, 'image/png')).resolves.toEqual(first);
    });

    it('resolves a 614 by stat when the stored hash matches the local file', async () => {
      const file = await fixture('exists.png', pngBytes(1000));
      const first = await driver.put('avatars/3/exists.png', file, 'image/png');
      emulator.faults.failNext('up', 1, 614);

      await expect(driver.put('avatars/3/exists.png', file, 'image/png')).resolves.toEqual(first);
      expect(emulator.requests.filter((r) => r.service === 'rs').map((r) => r.path)[0]).toMatch(/^\/stat\//);
    });

    it('rejects with 614 when the key holds different bytes', async () => {
      await driver.put('avatars/4/a.png', await fixture('a.png', pngBytes(1000)), 'image/png');
      const other = await fixture('b.png', pngBytes(1000));

      const err = await driver.put('avatars/4/a.png', other, 'image/png').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageRejectedError);
      expect((err as StorageRejectedError).status).toBe(614);
    });

    it.each([503, 599])('turns an injected %i into StorageUnavailableError, then succeeds on retry', async (status) => {
      const file = await fixture(`retry-${status}.png`, pngBytes(1000));
      emulator.faults.failNext('up', 1, status);

      await expect(driver.put('avatars/5/retry.png', file, 'image/png')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(driver.put('avatars/5/retry.png', file, 'image/png')).resolves.toMatchObject({ key: 'avatars/5/retry.png' });
    });

    it('turns a dropped connection into StorageUnavailableError', async () => {
      emulator.faults.failNext('up', 1, 0);
      const file = await fixture('dropped.png', pngBytes(1000));
      await expect(driver.put('avatars/6/dropped.png', file, 'image/png')).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('refuses a reply whose hash does not match the local file', async () => {
      emulator.faults.wrongHash();
      const file = await fixture('wrong.png', pngBytes(1000));
      await expect(driver.put('avatars/7/wrong.png', file, 'image/png')).rejects.toThrow(/reports hash/);
    });

    it('treats an incomplete resumable upload (part md5 mismatch) as unavailable', async () => {
      emulator.faults.wrongHash();
      const file = await fixture('part.png', pngBytes(2 * MiB));
      await expect(driver.put('avatars/7/part.png', file, 'image/png')).rejects.toThrow(/did not complete/);
    });

    it('rejects non-image content through the token mimeLimit', async () => {
      const file = await fixture('note.txt', Buffer.from('just some text'));
      const err = await driver.put('avatars/8/note.png', file, 'image/png').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageRejectedError);
      expect((err as StorageRejectedError).status).toBe(403);
    });

    it('rejects with 401 when the secret key is wrong', async () => {
      const wrong = new QiniuStorageDriver(emulatorOptions(emulator, { secretKey: 'not-the-secret' }));
      const file = await fixture('bad-secret.png', pngBytes(1000));

      const err = await wrong.put('avatars/9/x.png', file, 'image/png').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageRejectedError);
      expect((err as StorageRejectedError).status).toBe(401);
      await expect(wrong.stat('avatars/9/x.png')).rejects.toMatchObject({ status: 401 });
    });
  });

  describe('stat and delete', () => {
    it('stats an object and returns null for a missing one', async () => {
      const file = await fixture('stat.png', pngBytes(3000));
      await driver.put('avatars/10/stat.png', file, 'image/png');

      await expect(driver.stat('avatars/10/stat.png')).resolves.toEqual({
        key: 'avatars/10/stat.png', size: 3000, contentType: 'image/png', hash: await qiniuEtagOfFile(file),
      });
      await expect(driver.stat('avatars/10/missing.png')).resolves.toBeNull();
    });

    it('turns an rs 599 into StorageUnavailableError', async () => {
      emulator.faults.failNext('rs', 1, 599);
      await expect(driver.stat('whatever')).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('deletes existing and missing keys in one batch', async () => {
      for (const name of ['a', 'b']) await driver.put(`avatars/11/${name}.png`, await fixture(`${name}-del.png`, pngBytes(500)), 'image/png');

      await driver.delete(['avatars/11/a.png', 'avatars/11/b.png', 'avatars/11/never.png']);

      expect(emulator.objects('avatars')).toEqual([]);
      expect(emulator.requests.filter((r) => r.path === '/batch').map((r) => r.status)).toEqual([298]);
    });

    it('splits deletes into batches of 1000', async () => {
      const keys = Array.from({ length: 1001 }, (_, i) => `avatars/12/${i}.png`);
      await driver.delete(keys);
      expect(emulator.requests.filter((r) => r.path === '/batch')).toHaveLength(2);
    });

    it('does nothing for an empty key list', async () => {
      await driver.delete([]);
      expect(emulator.requests).toEqual([]);
    });
  });

  describe('download and URLs', () => {
    it('downloads the stored bytes from the public URL', async () => {
      const bytes = pngBytes(10_000);
      await driver.put('avatars/13/dl me.png', await fixture('dl.png', bytes), 'image/png');
      const dest = join(dir, 'downloaded.png');

      expect(driver.urlFor('avatars/13/dl me.png')).toBe(`http://${emulator.hostPort}/avatars/13/dl%20me.png`);
      await driver.download('avatars/13/dl me.png', dest);
      expect((await readFile(dest)).equals(bytes)).toBe(true);
    });

    it('rejects a missing object with StorageNotFoundError', async () => {
      await expect(driver.download('avatars/none.png', join(dir, 'none'))).rejects.toBeInstanceOf(StorageNotFoundError);
    });

    it('turns a download 503 into StorageUnavailableError', async () => {
      emulator.faults.failNext('download', 1, 503);
      await expect(driver.download('avatars/x.png', join(dir, 'x'))).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('signs private-bucket URLs; unsigned, tampered and expired ones get 401', async () => {
      const priv = new QiniuStorageDriver(
        emulatorOptions(emulator, { bucket: 'private-avatars', privateBucket: true, publicBaseUrl: `http://${emulator.hostPort}/_bucket/private-avatars` }),
      );
      const bytes = pngBytes(4000);
      await priv.put('p/1.png', await fixture('private.png', bytes), 'image/png');

      const signed = priv.urlFor('p/1.png');
      expect(signed).toMatch(/\?e=\d+&token=test-access-key:/);
      const ok = await fetch(signed);
      expect(ok.status).toBe(200);
      expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);
      expect(ok.headers.get('etag')).toBe(`"${emulator.object('private-avatars', 'p/1.png')?.hash}"`);

      expect((await fetch(signed.split('?')[0])).status).toBe(401);
      expect((await fetch(signed.replace(/e=(\d+)/, (_m, e: string) => `e=${Number(e) + 1}`))).status).toBe(401);
      emulator.clockOffsetSec = 7200;
      const expired = await fetch(signed);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ error: 'token out of date' });
      emulator.clockOffsetSec = 0;

      const dest = join(dir, 'private-download.png');
      await priv.download('p/1.png', dest);
      expect((await readFile(dest)).equals(bytes)).toBe(true);
    });
  });

  describe('purgeFromCdn', () => {
    it('refreshes the public URLs in requests of at most 60', async () => {
      const keys = Array.from({ length: 65 }, (_, i) => `avatars/14/${i}.png`);
      await driver.purgeFromCdn(keys);

      expect(emulator.refreshed.urls).toEqual(keys.map((k) => driver.urlFor(k)));
      expect(emulator.requests.filter((r) => r.service === 'fusion')).toHaveLength(2);
    });

    it('rejects with 401 when the signature is wrong and retries on 503', async () => {
      const wrong = new QiniuStorageDriver(emulatorOptions(emulator, { secretKey: 'nope' }));
      await expect(wrong.purgeFromCdn(['a.png'])).rejects.toMatchObject({ name: 'StorageRejectedError', status: 401 });
      emulator.faults.failNext('fusion', 1, 503);
      await expect(driver.purgeFromCdn(['a.png'])).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(emulator.refreshed.urls).toEqual([]);
    });
  });

  describe('issueDirectUpload', () => {
    const policy = { key: 'avatars/20/direct.png', maxBytes: 50_000, allowedTypes: ['image/png', 'image/jpeg'], expiresInSec: 300 };

    async function postForm(uploadUrl: string, fields: Record<string, string>, file: Buffer, type = 'image/png') {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([new Uint8Array(file)], { type }), 'avatar.png');
      const res = await fetch(uploadUrl, { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('issues a token scoped to exactly bucket:key with the policy limits', () => {
      const before = Date.now();
      const ticket = driver.issueDirectUpload(policy);
      const putPolicy = JSON.parse(Buffer.from(ticket.token.split(':')[2], 'base64url').toString()) as Record<string, unknown>;

      expect(ticket.uploadUrl).toBe(`http://${emulator.hostPort}/`);
      expect(putPolicy).toMatchObject({ scope: 'avatars:avatars/20/direct.png', insertOnly: 1, fsizeLimit: 50_000, mimeLimit: 'image/png;image/jpeg' });
      expect(putPolicy.callbackUrl).toBeUndefined();
      expect(ticket.expiresAt.getTime()).toBe((putPolicy.deadline as number) * 1000);
      expect(Math.abs(ticket.expiresAt.getTime() - (before + 300_000))).toBeLessThan(2000);
    });

    it('accepts a plain multipart upload of the scoped key', async () => {
      const ticket = driver.issueDirectUpload(policy);
      const bytes = pngBytes(10_000);

      const res = await postForm(ticket.uploadUrl, { token: ticket.token, key: policy.key }, bytes);

      expect(res).toEqual({ status: 200, body: { key: policy.key, hash: emulator.object('avatars', policy.key)?.hash, fsize: 10_000, mimeType: 'image/png' } });
      expect(emulator.object('avatars', policy.key)?.data.equals(bytes)).toBe(true);
    });

    it('refuses another key, an expired token, oversize and non-image files', async () => {
      const ticket = driver.issueDirectUpload(policy);
      const fields = { token: ticket.token, key: policy.key };

      expect(await postForm(ticket.uploadUrl, { ...fields, key: 'avatars/20/other.png' }, pngBytes(100))).toEqual({
        status: 403, body: { error: "key doesn't match with scope" },
      });
      expect(await postForm(ticket.uploadUrl, fields, pngBytes(50_001))).toEqual({ status: 413, body: { error: 'exceed FsizeLimit' } });
      expect(await postForm(ticket.uploadUrl, fields, Buffer.from('<html>not an image</html>'))).toEqual({
        status: 403, body: { error: 'limited mimeType: this file type is forbidden to upload' },
      });
      emulator.clockOffsetSec = 400;
      const expired = await postForm(ticket.uploadUrl, fields, pngBytes(100));
      expect(expired.status).toBe(401);
      expect(expired.body.error).toMatch(/^token expired \d+ seconds ago$/);
      expect(emulator.objects('avatars')).toEqual([]);
    });

    describe('with a callback', () => {
      let server: Server;
      let callbackUrl: string;
      const received: Array<{ verified: boolean; forged: boolean; altered: boolean; contentType?: string; body: unknown }> = [];
      let answer = 200;

      beforeAll(async () => {
        server = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const raw = Buffer.concat(chunks);
            const fullUrl = `http://${req.headers.host}${req.url}`;
            const options = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
            const verified = verifyQiniuCallback(options, fullUrl, raw, req.headers['content-type'], req.headers.authorization);
            const forged = verifyQiniuCallback(options, fullUrl, raw, req.headers['content-type'], `QBox ${ACCESS_KEY}:forgedsignature=`);
            const alteredBody = Buffer.from(raw.toString().replace(/fsize=\d+/, 'fsize=1'));
            const altered = verifyQiniuCallback(options, fullUrl, alteredBody, req.headers['content-type'], req.headers.authorization);
            const body = Object.fromEntries(new URLSearchParams(raw.toString()));
            received.push({ verified, forged, altered, contentType: req.headers['content-type'], body });
            res.writeHead(answer, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ accepted: verified, from: 'app' }));
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/storage/qiniu/callback?tag=1`;
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
      beforeEach(() => {
        received.length = 0;
        answer = 200;
      });

      it('delivers a QBox-signed form callback, whose signature covers the body, and returns its answer to the uploader', async () => {
        const ticket = driver.issueDirectUpload({ ...policy, callbackUrl });
        const bytes = pngBytes(2000);

        const res = await postForm(ticket.uploadUrl, { token: ticket.token, key: policy.key }, bytes);

        expect(res).toEqual({ status: 200, body: { accepted: true, from: 'app' } });
        expect(received).toEqual([
          {
            verified: true,
            forged: false,
            altered: false,
            contentType: 'application/x-www-form-urlencoded',
            body: { key: policy.key, hash: emulator.object('avatars', policy.key)?.hash, fsize: '2000', mimeType: 'image/png' },
          },
        ]);
      });

      it('answers 579 when the callback fails, with the object stored anyway', async () => {
        answer = 500;
        const ticket = driver.issueDirectUpload({ ...policy, callbackUrl });

        const res = await postForm(ticket.uploadUrl, { token: ticket.token, key: policy.key }, pngBytes(2000));

        expect(res.status).toBe(579);
        expect(emulator.object('avatars', policy.key)).toBeDefined();
      });
    });
  });
});
