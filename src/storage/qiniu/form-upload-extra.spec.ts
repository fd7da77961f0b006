import { randomBytes } from 'node:crypto';
import { formUploadExtra } from './form-upload-extra';

// The SDK's own CRC-32 (what it sends when none is given): a hex string it parses into the decimal Qiniu expects.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkCrc32 = require('crc32') as (bytes: Buffer) => string;

describe(formUploadExtra.name, () => {
  it('gives the CRC-32 the SDK would compute, as the decimal string Qiniu checks', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('avatar'), randomBytes(300_000)]) {
      const extra = formUploadExtra('avatars/1/x.webp', 'image/webp', bytes);
      expect(extra.crc32).toBe(String(parseInt(`0x${sdkCrc32(bytes)}`)));
    }
  });

  it('names the file after the key and leaves the CRC-32 to the SDK without the bytes', () => {
    const extra = formUploadExtra('incoming/7/abc', 'image/png');
    expect(extra).toMatchObject({ fname: 'abc', mimeType: 'image/png', crc32: null });
  });
});
