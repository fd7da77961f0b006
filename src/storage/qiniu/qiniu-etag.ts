import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const BLOCK_SIZE = 4 * 1024 * 1024;

function toUrlSafe(prefix: number, digest: Buffer): string {
  return Buffer.concat([Buffer.of(prefix), digest]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The Qiniu hash from the SHA-1 digests of the content's 4 MiB blocks, in order. */
export function qiniuEtagOfBlockDigests(blockDigests: Buffer[]): string {
  if (blockDigests.length <= 1) return toUrlSafe(0x16, blockDigests[0] ?? createHash('sha1').digest());
  return toUrlSafe(0x96, createHash('sha1').update(Buffer.concat(blockDigests)).digest());
}

/** The Qiniu file hash ("etag") of an in-memory buffer. */
export function qiniuEtagOfBuffer(buf: Buffer): string {
  return new QiniuEtag().update(buf).digest();
}

/** The Qiniu hash of bytes that arrive a chunk at a time; only the current block's SHA-1 state is held. */
export class QiniuEtag {
  private readonly digests: Buffer[] = [];
  private block = createHash('sha1');
  private filled = 0;

  update(chunk: Buffer): this {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.filled, chunk.length - offset);
      this.block.update(chunk.subarray(offset, offset + take));
      this.filled += take;
      offset += take;
      if (this.filled === BLOCK_SIZE) {
        this.digests.push(this.block.digest());
        this.block = createHash('sha1');
        this.filled = 0;
      }
    }
    return this;
  }

  digest(): string {
    if (this.filled > 0 || this.digests.length === 0) this.digests.push(this.block.digest());
    return qiniuEtagOfBlockDigests(this.digests);
  }
}

/** The Qiniu file hash of a file, streamed. */
export async function qiniuEtagOfFile(path: string): Promise<string> {
  const etag = new QiniuEtag();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) etag.update(chunk);
  return etag.digest();
}
