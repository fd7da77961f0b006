import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qiniuEtagOfBuffer, qiniuEtagOfFile } from './qiniu-etag';

const MiB = 1024 * 1024;
const pattern = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));

// Expected values computed independently with Python's hashlib (see the commit message).
const vectors: Array<[string, Buffer, string]> = [
  ['empty', Buffer.alloc(0), 'Fto5o-5ea0sNMlW_75VgGJCv2AcJ'],
  ['"hello world"', Buffer.from('hello world'), 'FiqubDXJT8-0FdvpX0CLnOke6Ebt'],
  ['exactly one block', pattern(4 * MiB), 'Fgd8eREZ4FXnoK5eUHCJo_kRSDb1'],
  ['one block and one byte', pattern(4 * MiB + 1), 'lgV4TNEnA2AXSRVyDqVW4bohMKad'],
  ['exactly two blocks', pattern(8 * MiB), 'lhZWuy7H6BDwRPEg8SCwWrzJuMmX'],
  ['three uneven blocks', pattern(9 * MiB + 7), 'll3xMcqaW_ujrNuEfJefK7aJvTLh'],
];

describe('qiniu etag', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qiniu-etag-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(vectors)('hashes a buffer: %s', (_name, content, expected) => {
    expect(qiniuEtagOfBuffer(content)).toBe(expected);
  });

  it.each(vectors)('hashes a file by streaming it: %s', async (name, content, expected) => {
    const file = join(dir, name.replace(/\W/g, '_'));
    await writeFile(file, content);
    await expect(qiniuEtagOfFile(file)).resolves.toBe(expected);
  });

  it('rejects for a missing file', async () => {
    await expect(qiniuEtagOfFile(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
