import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, fetchBytes } from './support/client';
import { solidJpeg } from './support/images';
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
