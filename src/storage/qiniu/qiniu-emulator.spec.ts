import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as qiniu from 'qiniu';
import { QiniuEmulator } from '../../../test/qiniu-emulator/qiniu-emulator';
import { ACCESS_KEY, emulatorOptions, MiB, pngBytes, SECRET_KEY, writeFixture } from '../../../test/qiniu-emulator/test-fixtures';
import { StorageUnavailableError } from '../storage.errors';
import { qiniuEtagOfBuffer } from './qiniu-etag';
import { QiniuStorageDriver } from './qiniu.storage-driver';

const blob = (data: Buffer | string, type?: string) => new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type });
const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

// The driver spec covers the paths the app uses; these cover the rest of the protocol the emulator promises.
describe(QiniuEmulator.name, () => {
  const emulator = new QiniuEmulator({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, buckets: ['avatars'], port: 0 });
  const mac = new qiniu.auth.digest.Mac(ACCESS_KEY, SECRET_KEY);
  let base: string;
  let dir: string;
  let config: qiniu.conf.Config;

  beforeAll(async () => {
    await emulator.start();
    base = `http://${emulator.hostPort}`;
    dir = await mkdtemp(join(tmpdir(), 'qiniu-emulator-'));
    const ep = [new qiniu.httpc.Endpoint(emulator.hostPort, { defaultScheme: 'http' })];
    config = new qiniu.conf.Config({ regionsProvider: new qiniu.httpc.Region({ regionId: 'test', services: { up: ep, rs: ep, rsf: ep } }) });
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => emulator.reset());

  const token = (policy: qiniu.rs.PutPolicyOptions) => new qiniu.rs.PutPolicy(policy).uploadToken(mac);
  const entry = (key: string) => b64url(`avatars:${key}`);

  async function formUpload(fields: Array<[string, string | Blob]>) {
    const form = new FormData();
    for (const [name, value] of fields) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, value, 'upload.bin');
    }
    const res = await fetch(`${base}/`, { method: 'POST', body: form });
    return { status: res.status, reqId: res.headers.get('x-reqid'), body: (await res.json()) as Record<string, unknown> };
  }

  describe('form upload', () => {
    it('accepts fields in any order, renders returnBody with x: variables and checks crc32', async () => {
      const bytes = pngBytes(3000);
      const t = token({ scope: 'avatars', returnBody: '{"k":"$(key)","s":$(fsize),"who":"$(x:who)","m":"${mimeType}"}' });
      const file = blob(bytes, 'application/octet-stream');

      const bad = await formUpload([['file', file], ['crc32', String((crc32(bytes) + 1) >>> 0)], ['token', t], ['key', 'a.png']]);
      expect(bad.status).toBe(406);

      const ok = await formUpload([['file', file], ['x:who', 'ann "quoted"'], ['crc32', String(crc32(bytes))], ['key', 'a.png'], ['token', t]]);
      expect(ok).toMatchObject({ status: 200, body: { k: 'a.png', s: 3000, who: 'ann "quoted"', m: 'image/png' } });
      expect(ok.reqId).toBeTruthy();
    });

    it('keys a keyless upload by its hash and keeps a bucket scope insert-only', async () => {
      const t = token({ scope: 'avatars' });
      const bytes = pngBytes(100);
      const res = await formUpload([['token', t], ['file', blob(bytes)]]);
      expect(res).toEqual({ status: 200, reqId: expect.any(String), body: { key: qiniuEtagOfBuffer(bytes), hash: qiniuEtagOfBuffer(bytes) } });

      expect((await formUpload([['token', t], ['key', 'x.png'], ['file', blob(bytes)]])).status).toBe(200);
      expect((await formUpload([['token', t], ['key', 'x.png'], ['file', blob(bytes)]])).status).toBe(200);
      expect(await formUpload([['token', t], ['key', 'x.png'], ['file', blob(pngBytes(100))]])).toMatchObject({ status: 614, body: { error: 'file exists' } });
    });

    it('lets a bucket:key scope overwrite and enforces prefix scopes, fsizeMin and negated mimeLimit', async () => {
      const exact = token({ scope: 'avatars:k.png' });
      expect((await formUpload([['token', exact], ['file', blob(pngBytes(10))]])).body.key).toBe('k.png');
      const second = pngBytes(10);
      expect((await formUpload([['token', exact], ['key', 'k.png'], ['file', blob(second)]])).status).toBe(200);
      expect(emulator.object('avatars', 'k.png')?.data.equals(second)).toBe(true);

      const prefix = token({ scope: 'avatars:users/7/', isPrefixalScope: 1, fsizeMin: 50, mimeLimit: '!text/plain' });
      expect((await formUpload([['token', prefix], ['key', 'users/8/a.png'], ['file', blob(pngBytes(60))]])).status).toBe(403);
      expect((await formUpload([['token', prefix], ['key', 'users/7/a.png'], ['file', blob(pngBytes(10))]])).status).toBe(403);
      expect((await formUpload([['token', prefix], ['key', 'users/7/a.txt'], ['file', blob('x'.repeat(60))]])).body.error).toMatch(/limited mimeType/);
      expect((await formUpload([['token', prefix], ['key', 'users/7/a.png'], ['file', blob(pngBytes(60))]])).status).toBe(200);
    });

    it('answers the CORS preflight of a web page on another origin, as Qiniu up hosts do', async () => {
      const preflight = await fetch(`${base}/`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('x-custom');
      const form = new FormData();
      form.append('token', token({ scope: 'avatars' }));
      form.append('file', blob(pngBytes(128), 'image/png'), 'a.png');
      const upload = await fetch(`${base}/`, { method: 'POST', body: form, headers: { origin: 'http://127.0.0.1:3000' } });
      expect(upload.status).toBe(200);
      expect(upload.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('answers 401 for a forged token, an unknown bucket with 631', async () => {
      const forged = token({ scope: 'avatars' }).replace(/^([^:]+):[^:]+:/, '$1:AAAA:');
      expect(await formUpload([['token', forged], ['file', blob('x')]])).toMatchObject({ status: 401, body: { error: 'bad token' } });
      expect((await formUpload([['token', token({ scope: 'nope' })], ['file', blob('x')]])).status).toBe(631);
    });
  });

  describe('resumable upload v2', () => {
    it('stores the 0x9e hash when the part size is not 4 MiB, and supports ~ for no key', async () => {
      const bytes = pngBytes(2.5 * MiB);
      const file = await writeFixture(dir, 'parts.png', bytes);
      const extra = qiniu.resume_up.PutExtra.create('parts.png', {}, 'image/png', undefined, undefined, MiB, 'v2');

      const { data, resp } = await new qiniu.resume_up.ResumeUploader(config).putFile(token({ scope: 'avatars' }), null, file, extra);

      const digests = [0, 1, 2].map((i) => createHash('sha1').update(bytes.subarray(i * MiB, (i + 1) * MiB)).digest());
      const expected = b64url(Buffer.concat([Buffer.of(0x9e), createHash('sha1').update(Buffer.concat(digests)).digest()]));
      expect(resp.statusCode).toBe(200);
      expect(data).toEqual({ key: expected, hash: expected });
      expect(emulator.requests.some((r) => r.path.startsWith('/buckets/avatars/objects/~/uploads'))).toBe(true);
    });

    it('replies to parts with md5 and etag, lists them, aborts, then answers 612', async () => {
      const headers = { Authorization: `UpToken ${token({ scope: 'avatars:r.png' })}` };
      const prefix = `${base}/buckets/avatars/objects/${b64url('r.png')}/uploads`;
      const { uploadId } = (await (await fetch(prefix, { method: 'POST', headers })).json()) as { uploadId: string };
      const part = pngBytes(MiB);
      const md5 = createHash('md5').update(part).digest('hex');

      const badMd5 = await fetch(`${prefix}/${uploadId}/1`, { method: 'PUT', headers: { ...headers, 'Content-MD5': '0'.repeat(32) }, body: new Uint8Array(part) });
      expect(badMd5.status).toBe(400);
      const put = await fetch(`${prefix}/${uploadId}/1`, { method: 'PUT', headers: { ...headers, 'Content-MD5': md5 }, body: new Uint8Array(part) });
      expect(await put.json()).toEqual({ md5, etag: qiniuEtagOfBuffer(part) });

      const listed = (await (await fetch(`${prefix}/${uploadId}`, { headers })).json()) as { parts: unknown[] };
      expect(listed.parts).toEqual([expect.objectContaining({ partNumber: 1, etag: qiniuEtagOfBuffer(part), size: MiB })]);
      expect((await fetch(`${prefix}/${uploadId}`, { method: 'DELETE', headers })).status).toBe(200);
      const gone = await fetch(`${prefix}/${uploadId}`, { method: 'POST', headers, body: JSON.stringify({ parts: [{ partNumber: 1, etag: 'x' }] }) });
      expect(gone.status).toBe(612);
    });
  });

  describe('management', () => {
    it('accepts QBox and the correct-Host Qiniu signature, and lists with markers', async () => {
      const driver = new QiniuStorageDriver(emulatorOptions(emulator));
      for (const name of ['a/1.png', 'a/2.png', 'a/3.png', 'b/1.png']) {
        await driver.put(name, await writeFixture(dir, name.replace('/', '-'), pngBytes(100)), 'image/png');
      }

      const statUrl = `${base}/stat/${entry('a/1.png')}`;
      const qbox = await fetch(statUrl, { method: 'POST', headers: { Authorization: qiniu.util.generateAccessToken(mac, statUrl) } });
      expect(await qbox.json()).toMatchObject({ fsize: 100, mimeType: 'image/png' });
      expect((await fetch(statUrl, { method: 'POST', headers: { Authorization: `QBox ${ACCESS_KEY}:forged` } })).status).toBe(401);

      const path = `/stat/${entry('a/2.png')}`;
      const sign = b64url(createHmac('sha1', SECRET_KEY).update(`GET ${path}\nHost: ${emulator.hostPort}\n\n`).digest());
      const status = await new Promise<number>((resolve, reject) => {
        request(`${base}${path}`, { headers: { Authorization: `Qiniu ${ACCESS_KEY}:${sign}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject).end();
      });
      expect(status).toBe(200);

      const manager = new qiniu.rs.BucketManager(mac, config);
      const page1 = await manager.listPrefix('avatars', { prefix: 'a/', limit: 2 });
      expect(page1.data.items.map((i: { key: string }) => i.key)).toEqual(['a/1.png', 'a/2.png']);
      const page2 = await manager.listPrefix('avatars', { prefix: 'a/', limit: 2, marker: page1.data.marker });
      expect(page2.data.items.map((i: { key: string }) => i.key)).toEqual(['a/3.png']);
      expect(page2.data.marker).toBe('');
    });

    it('refuses a Qiniu signature whose X-Qiniu-Date is too far from the emulator clock', async () => {
      const driver = new QiniuStorageDriver(emulatorOptions(emulator));
      emulator.clockOffsetSec = 3600;
      await expect(driver.stat('any')).rejects.toMatchObject({ status: 403 });
    });
  });

  it('serves byte ranges', async () => {
    const bytes = Buffer.from('0123456789');
    await formUpload([['token', token({ scope: 'avatars:r.txt' })], ['file', blob(bytes)]]);

    const partial = await fetch(`${base}/r.txt`, { headers: { Range: 'bytes=2-5' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await partial.text()).toBe('2345');
    expect(await (await fetch(`${base}/r.txt`, { headers: { Range: 'bytes=-3' } })).text()).toBe('789');
    expect((await fetch(`${base}/r.txt`, { headers: { Range: 'bytes=20-' } })).status).toBe(416);
  });

  describe('admin HTTP API', () => {
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('injects faults, lists objects and refreshes, moves the clock and resets', async () => {
      const driver = new QiniuStorageDriver(emulatorOptions(emulator));
      const file = await writeFixture(dir, 'admin.png', pngBytes(100));

      expect((await admin('GET', '/health')).body).toEqual({ ok: true, buckets: ['avatars'] });
      expect((await admin('POST', '/faults', { service: 'up', count: 1, status: 503, delayMs: 50 })).status).toBe(200);
      const started = Date.now();
      await expect(driver.put('admin.png', file, 'image/png')).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      const stored = await driver.put('admin.png', file, 'image/png');
      expect((await admin('GET', '/objects?bucket=avatars')).body.objects).toEqual([
        expect.objectContaining({ key: 'admin.png', hash: stored.hash, fsize: 100, mimeType: 'image/png' }),
      ]);

      await driver.purgeFromCdn(['admin.png']);
      expect((await admin('GET', '/refreshed')).body).toMatchObject({ urls: [driver.urlFor('admin.png')], dirs: [] });

      await admin('POST', '/faults/wrong-hash', { count: 1 });
      expect((await admin('GET', '/faults')).body).toMatchObject({ wrongHash: 1 });
      expect((await admin('PUT', '/clock', { offsetSec: -120 })).body.offsetSec).toBe(-120);
      expect(emulator.clockOffsetSec).toBe(-120);
      expect((await admin('GET', '/requests')).body.requests).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'up', status: 503 })]));

      expect((await admin('POST', '/reset')).body).toEqual({ ok: true });
      expect(emulator.objects('avatars')).toEqual([]);
      expect(emulator.refreshed.urls).toEqual([]);
      expect(emulator.clockOffsetSec).toBe(0);
      expect((await admin('GET', '/faults')).body).toEqual({ failures: [], latencies: {}, wrongHash: 0 });
      expect((await admin('POST', '/faults', { service: 'nope' })).status).toBe(400);
    });
  });
});
