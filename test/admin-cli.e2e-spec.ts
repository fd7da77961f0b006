import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { QiniuStorageDriver } from '../src/storage/qiniu/qiniu.storage-driver';
import { QiniuEmulator } from './qiniu-emulator/qiniu-emulator';
import { emulatorOptions } from './qiniu-emulator/test-fixtures';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
import { qiniuEnv, startQiniuEmulator, storedKeys } from './support/qiniu';
import { Stack, eventually } from './support/stack';

const TWO_HOURS_AGO = new Date(Date.now() - 2 * 3_600_000);

/** What any browser uploader does with a direct-upload ticket: a plain multipart POST to the store. */
async function postToStore(ticket: { uploadUrl: string; token: string; key: string }, bytes: Buffer) {
  const form = new FormData();
  form.append('token', ticket.token);
  form.append('key', ticket.key);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'avatar.jpg');
  return (await fetch(ticket.uploadUrl, { method: 'POST', body: form })).status;
}

/** Every file under a folder of the stack, as keys relative to it. */
function filesUnder(root: string, folder = ''): string[] {
  const path = join(root, folder);
  if (!existsSync(path)) return [];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const key = folder ? `${folder}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(root, key) : [key];
  });
}

describe('admin CLI against a real database, Redis and storage (node dist/cli, API and worker as separate processes)', () => {
  const stack = new Stack();
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    await stack.start();
    alice = await new ApiClient(stack.baseUrl).signUp(`alice_${stack.id}`);
    bob = await new ApiClient(stack.baseUrl).signUp(`bob_${stack.id}`);
    expect((await alice.uploadAndSettle(await solidJpeg(320, 320, '#2266aa'))).status).toBe('done');
    expect((await bob.uploadAndSettle(await solidJpeg(320, 320, '#aa6622'))).status).toBe('done');
  });
  afterAll(() => stack.destroy());

  it('storage:orphans lists objects nothing references, older than the window, and deletes them only with --delete', async () => {
    const bobAvatar = (await bob.request('GET', '/users/me')).body.avatarUrl as string;
    // A ticket still open, whose object was uploaded long ago (its timestamp moved back): not an orphan.
    const ticket = (await bob.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/jpeg' })).body;
    expect(await postToStore(ticket, await solidJpeg(64, 64, '#111111'))).toBe(200);
    utimesSync(join(stack.storageDir, ticket.key), TWO_HOURS_AGO, TWO_HOURS_AGO);
    // Junk: an avatar object nobody has, a temporary object without a ticket, and a fresh one of each.
    const junk = (key: string, old: boolean) => {
      mkdirSync(join(stack.storageDir, key, '..'), { recursive: true });
      writeFileSync(join(stack.storageDir, key), 'junk');
      if (old) utimesSync(join(stack.storageDir, key), TWO_HOURS_AGO, TWO_HOURS_AGO);
      return key;
    };
    const oldAvatar = junk(`avatars/${bob.userId}/${'d'.repeat(64)}.webp`, true);
    const oldTemporary = junk(`incoming/${bob.userId}/0b4f3a52-0000-4000-8000-000000000000`, true);
    const newAvatar = junk(`avatars/${alice.userId}/${'e'.repeat(64)}.webp`, false);

    const listed = await stack.cli(['storage:orphans']);
    expect(listed.code).toBe(0);
    const keysIn = (stdout: string) => stdout.split('\n').filter((line) => line.includes('\t')).map((line) => line.split('\t')[0]).sort();
    expect(keysIn(listed.stdout)).toEqual([oldAvatar, oldTemporary].sort());
    expect(listed.stdout).toMatch(/found 2 orphan\(s\), 0\.0 MiB, among \d+ object\(s\) under avatars\/ and incoming\/; run again with --delete/);
    expect(existsSync(join(stack.storageDir, oldAvatar))).toBe(true);

    const everything = await stack.cli(['storage:orphans', '--older-than', '0s']);
    expect(keysIn(everything.stdout)).toEqual([oldAvatar, oldTemporary, newAvatar].sort());

    const deleted = await stack.cli(['storage:orphans', '--delete']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/deleted 2 orphan\(s\)/);
    for (const key of [oldAvatar, oldTemporary]) expect(existsSync(join(stack.storageDir, key))).toBe(false);
    for (const key of [newAvatar, ticket.key]) expect(existsSync(join(stack.storageDir, key))).toBe(true);
    expect((await fetchBytes(bobAvatar)).status).toBe(200);

    const bad = await stack.cli(['storage:orphans', '--older-than', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('expected a duration such as 90s, 30m, 6h or 2d, not "soon"');
  });

  it('uploads:retry-failed re-enqueues failed uploads whose file is still there under a fresh job id, filtered by --since and --user', async () => {
    const dave = await new ApiClient(stack.baseUrl).signUp(`dave_${stack.id}`);
    const erin = await new ApiClient(stack.baseUrl).signUp(`erin_${stack.id}`);
    // A file where dave's storage folder should be: storing fails on every attempt (a transient error, retried, then final).
    const blocker = join(stack.storageDir, 'avatars', String(dave.userId));
    mkdirSync(join(stack.storageDir, 'avatars'), { recursive: true });
    writeFileSync(blocker, 'not a folder');
    const recent = (await dave.upload(await solidJpeg(200, 200, '#5555ff'))).body;
    const older = (await dave.upload(await solidJpeg(200, 200, '#ff5555'))).body;
    expect((await dave.settle(recent.uploadId)).status).toBe('failed');
    expect((await dave.settle(older.uploadId)).status).toBe('failed');
    await stack.query('UPDATE avatar_uploads SET finished_at = NOW(6) - INTERVAL 3 HOUR WHERE id = ?', [older.uploadId]);
    // A truncated JPEG fails for good at once, and its staged file goes with it: nothing to retry.
    const truncated = (await solidJpeg(200, 200, '#55ff55')).subarray(0, 300);
    const broken = (await erin.upload(truncated)).body;
    expect((await erin.settle(broken.uploadId)).status).toBe('failed');

    const gone = await stack.cli(['uploads:retry-failed', '--user', String(erin.userId)]);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain(`skipped ${broken.uploadId}: its file is gone`);
    expect(gone.stdout).toContain(`re-enqueued 0 failed upload(s) of user ${erin.userId}; 1 skipped (file gone), 0 changed meanwhile`);

    rmSync(blocker);
    const sinceAnHour = await stack.cli(['uploads:retry-failed', '--since', '1h', '--user', String(dave.userId)]);
    expect(sinceAnHour.code).toBe(0);
    const newJob = /re-enqueued (\S+) as job (\S+)/.exec(sinceAnHour.stdout)!;
    expect(newJob[1]).toBe(recent.uploadId);
    expect(newJob[2]).not.toBe(recent.jobId);
    expect(sinceAnHour.stdout).toMatch(/re-enqueued 1 failed upload\(s\) since \S+ of user \d+; 0 skipped/);
    const done = await eventually(
      () => dave.request('GET', `/users/me/avatar/uploads/${recent.uploadId}`),
      (reply) => reply.body.status === 'done',
    );
    expect(done.body).toMatchObject({ status: 'done', jobId: newJob[2] });
    expect((await dave.request('GET', `/users/me/avatar/uploads/${older.uploadId}`)).body.status).toBe('failed');

    const rest = await stack.cli(['uploads:retry-failed', '--user', String(dave.userId)]);
    expect(rest.stdout).toContain(`re-enqueued ${older.uploadId} as job`);
    await eventually(
      () => dave.request('GET', `/users/me/avatar/uploads/${older.uploadId}`),
      (reply) => reply.body.status === 'done',
    );

    const bad = await stack.cli(['uploads:retry-failed', '--since', 'last week']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since must be an ISO date');
  });

  it('users:purge removes the user, their rows, objects, staged files and queued jobs, and nothing of anyone else', async () => {
    const carol = await new ApiClient(stack.baseUrl).signUp(`carol_${stack.id}`);
    expect((await carol.uploadAndSettle(await solidJpeg(200, 200, '#33aa33'))).status).toBe('done');
    const ticket = (await carol.request('POST', '/users/me/avatar/upload-token', { contentType: 'image/jpeg' })).body;
    expect(await postToStore(ticket, await solidJpeg(64, 64, '#222222'))).toBe(200);
    // With no worker running, the next upload stays queued: its staged file and job are there to be purged.
    await stack.workers[0].stop();
    const queued = await carol.upload(await solidJpeg(200, 200, '#44bb44'));
    expect(queued.status).toBe(202);
    const staged = filesUnder(stack.stagingDir);
    expect(staged).toContain(queued.body.uploadId);
    expect(filesUnder(stack.storageDir).filter((key) => key.includes(`/${carol.userId}/`)).length).toBeGreaterThan(1);
    const jobKey = `${stack.prefix}:avatars:${queued.body.jobId}`;
    expect(await stack.redisKeys()).toContain(jobKey);

    const purged = await stack.cli(['users:purge', String(carol.userId)]);
    expect(purged.stderr).toBe('');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(
      new RegExp(`purged user ${carol.userId} \\(carol_${stack.id}\\): 2 upload row\\(s\\), \\d+ stored object\\(s\\), 1 staged file\\(s\\), 1 queued job\\(s\\)`),
    );

    for (const table of ['users WHERE id', 'avatar_uploads WHERE user_id', 'direct_upload_tickets WHERE user_id']) {
      expect(await stack.query(`SELECT 1 FROM ${table} = ?`, [carol.userId])).toEqual([]);
    }
    expect(filesUnder(stack.storageDir).filter((key) => key.includes(`/${carol.userId}/`))).toEqual([]);
    expect(filesUnder(stack.stagingDir)).not.toContain(queued.body.uploadId);
    expect(await stack.redisKeys()).not.toContain(jobKey);
    expect((await carol.request('GET', `/users/${carol.userId}`)).status).toBe(404);
    // Everyone else keeps their avatar.
    expect((await fetchBytes((await alice.request('GET', '/users/me')).body.avatarUrl)).status).toBe(200);

    const again = await stack.cli(['users:purge', String(carol.userId)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no user ${carol.userId}, and nothing stored under its prefixes`);
    expect((await stack.cli(['users:purge', 'carol'])).code).toBe(1);

    await stack.startWorker();
    await eventually(() => stack.consumerCount(), (n) => n > 0);
  });
});

describe('avatars:rerender after AVATAR_SIZES changes (node dist/cli, API and worker as separate processes)', () => {
  const stack = new Stack({ env: { AVATAR_SIZES: '256,64', AVATAR_KEEP_ORIGINAL: 'true' } });
  const newSizes = { AVATAR_SIZES: '256,128,64', AVATAR_KEEP_ORIGINAL: 'true' };
  const users: ApiClient[] = [];

  const variantsOf = async (user: ApiClient) => (await user.request('GET', `/users/${user.userId}`)).body.avatar.variants as Record<string, string>;
  const centreOf = async (url: string) => {
    const { data, info } = await sharp((await fetchBytes(url)).bytes).raw().toBuffer({ resolveWithObject: true });
    const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
    return [data[i], data[i + 1], data[i + 2]];
  };

  beforeAll(async () => {
    await stack.start();
    for (let i = 0; i < 3; i++) users.push(await new ApiClient(stack.baseUrl).signUp());
    expect((await users[0].uploadAndSettle(await solidJpeg(400, 300, '#cc2222'))).status).toBe('done');
    // Red left half, blue right half, and the client chose the blue square.
    const halves = await sharp(await solidJpeg(200, 100, '#ff0000'))
      .composite([{ input: await solidJpeg(100, 100, '#0000ff'), left: 100, top: 0 }])
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('avatar', new Blob([new Uint8Array(halves)], { type: 'image/jpeg' }), 'halves.jpg');
    form.append('crop', '{"x":100,"y":0,"width":100,"height":100}');
    const cropped = await users[1].request('POST', '/users/me/avatar', form);
    expect((await users[1].settle(cropped.body.uploadId)).status).toBe('done');
    expect((await users[2].uploadAndSettle(await solidJpeg(400, 300, '#2222cc'))).status).toBe('done');
    // An avatar set before crops were recorded: re-rendered from its largest variant, not from the original.
    await stack.query("UPDATE users SET avatar = JSON_REMOVE(avatar, '$.crop') WHERE id = ?", [users[2].userId]);
  });
  afterAll(() => stack.destroy());

  it('adds the new size to existing avatars, in resumable slices, with progress on stderr', async () => {
    expect(Object.keys(await variantsOf(users[0])).sort()).toEqual(['256', '64']);
    const before = await variantsOf(users[0]);

    const firstSlice = await stack.cli(['avatars:rerender', '--limit', '2'], newSizes);
    expect(firstSlice.code).toBe(0);
    expect(firstSlice.stdout).toContain(
      `re-rendered 2 avatar(s) with sizes 256,128,64 (webp, JPEG); 0 changed meanwhile, 0 failed; 1 left: run again to resume after user ${users[1].userId}`,
    );
    expect(firstSlice.stderr).toContain('avatars:rerender: 2/2 (100%)');
    expect(Object.keys(await variantsOf(users[0])).sort()).toEqual(['128', '256', '64']);
    expect(Object.keys(await variantsOf(users[1])).sort()).toEqual(['128', '256', '64']);
    expect(Object.keys(await variantsOf(users[2])).sort()).toEqual(['256', '64']);

    const rest = await stack.cli(['avatars:rerender'], newSizes);
    expect(rest.code).toBe(0);
    expect(rest.stderr).toContain(`resuming an interrupted run after user ${users[1].userId}`);
    expect(rest.stdout).toContain('re-rendered 1 avatar(s)');
    expect(Object.keys(await variantsOf(users[2])).sort()).toEqual(['128', '256', '64']);

    // The new variant is a real 128×128 WebP, served like any other; the profile's URLs follow the new objects.
    const small = await fetchBytes((await variantsOf(users[2]))['128']);
    expect(small.status).toBe(200);
    expect(await sharp(small.bytes).metadata()).toMatchObject({ format: 'webp', width: 128, height: 128 });
    const me = (await users[0].request('GET', '/users/me')).body;
    expect(me.avatarUrl).toBe(me.avatar.variants['256']);
    expect(me.avatar).toMatchObject({ width: 400, height: 300 });
    expect((await users[2].request('GET', '/users/me')).body.avatar).toMatchObject({ width: 400, height: 300 });
    // Re-rendered from the kept original, the client's crop still holds: the new variant shows the blue half.
    const [red, , blue] = await centreOf((await variantsOf(users[1]))['128']);
    expect(blue).toBeGreaterThan(200);
    expect(red).toBeLessThan(50);

    // Objects the re-render replaced go after the grace period (a worker runs the deletion), the new ones stay.
    const replaced = Object.values(before).filter((url) => !Object.values(me.avatar.variants).includes(url));
    for (const url of replaced) await eventually(async () => (await fetchBytes(url)).status, (status) => status === 404);
    for (const url of Object.values(me.avatar.variants) as string[]) expect((await fetchBytes(url)).status).toBe(200);

    // Finished: nothing to resume; one user on request.
    const one = await stack.cli(['avatars:rerender', '--user', String(users[0].userId)], newSizes);
    expect(one.code).toBe(0);
    expect(one.stderr).not.toContain('resuming');
    expect(one.stdout).toContain('re-rendered 1 avatar(s)');
    expect((await stack.cli(['avatars:rerender', '--limit', 'all'], newSizes)).code).toBe(1);
  });
});

describe('storage:orphans and users:purge on the Qiniu driver (emulator; node dist/cli, API and worker as separate processes)', () => {
  let emulator: QiniuEmulator;
  let stack: Stack;
  let frank: ApiClient;

  beforeAll(async () => {
    emulator = await startQiniuEmulator();
    stack = await new Stack({ env: qiniuEnv(emulator) }).start();
    frank = await new ApiClient(stack.baseUrl).signUp(`frank_${stack.id}`);
    expect((await frank.uploadAndSettle(await solidJpeg(200, 200, '#8844cc'))).status).toBe('done');
  });
  afterAll(async () => {
    await stack?.destroy();
    await emulator?.stop();
  });

  it('lists the bucket through rsf, deletes only the orphans, then purges the user', async () => {
    const env = qiniuEnv(emulator);
    const store = new QiniuStorageDriver(emulatorOptions(emulator, { accessKey: env.QINIU_ACCESS_KEY, secretKey: env.QINIU_SECRET_KEY }));
    const file = join(stack.dir, 'junk.jpg');
    writeFileSync(file, await solidJpeg(16, 16, '#000000'));
    const junk = [`avatars/${frank.userId}/${'f'.repeat(64)}.webp`, `incoming/${frank.userId}/0b4f3a52-0000-4000-8000-000000000001`];
    for (const key of junk) await store.put(key, file, 'image/jpeg');
    const avatarKeys = storedKeys(emulator, `avatars/${frank.userId}/`).filter((key) => key !== junk[0]);
    expect(avatarKeys.length).toBeGreaterThan(1);

    const listed = await stack.cli(['storage:orphans', '--older-than', '0s']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter((line) => line.includes('\t')).map((line) => line.split('\t')[0]).sort()).toEqual(junk.sort());
    const deleted = await stack.cli(['storage:orphans', '--older-than', '0s', '--delete']);
    expect(deleted.stdout).toContain('deleted 2 orphan(s)');
    expect(storedKeys(emulator, `avatars/${frank.userId}/`).sort()).toEqual(avatarKeys.sort());
    expect(storedKeys(emulator, 'incoming/')).toEqual([]);

    const purged = await stack.cli(['users:purge', String(frank.userId)]);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain(`${avatarKeys.length} stored object(s)`);
    expect(storedKeys(emulator, `avatars/${frank.userId}/`)).toEqual([]);
  });
});
