import { OnModuleInit } from '@nestjs/common';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, copyFile, link, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IMAGE_CONTENT_TYPES } from '../../images/image-formats';
import { SNIFF_BYTES, sniffImageType } from '../../images/image-sniffer';
import { LocalStorageOptions } from '../../config/storage.config';
import { DirectUploadPolicy, DirectUploadTicket, ListedObject, StorageDriver, StoredObject } from '../storage-driver';
import { StorageNotFoundError, StorageRejectedError, StorageUnavailableError } from '../storage.errors';

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Written into the root at start-up: a root without it is not the store (a volume unmounted under a running process
 * leaves its empty mount point behind). Not a valid key, so never served or listed as an object.
 */
const ROOT_MARKER = '.avatar-pipeline-store';

/** What a local direct-upload token allows; signed with the API's secret. */
export interface LocalUploadGrant {
  key: string;
  maxBytes: number;
  allowedTypes: string[];
  /** Unix seconds. */
  deadline: number;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export async function sniffFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    const type = sniffImageType(buffer.subarray(0, bytesRead));
    return type ? IMAGE_CONTENT_TYPES[type] : 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

/**
 * Objects as files under one root folder, served by the API at /static. Needs a folder shared by API and workers.
 * The root (and its marker) is made at start-up; later, a write makes missing folders under it, never the root.
 */
export class LocalStorageDriver extends StorageDriver implements OnModuleInit {
  readonly name = 'local';

  constructor(private readonly options: Pick<LocalStorageOptions, 'root' | 'publicBaseUrl' | 'uploadUrl' | 'tokenSecret'>) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.options.root, { recursive: true });
    await writeFile(join(this.options.root, ROOT_MARKER), '', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }

  hashFile(filePath: string): Promise<string> {
    return sha256OfFile(filePath);
  }

  async put(key: string, filePath: string, contentType: string): Promise<StoredObject> {
    await this.placeAtomically(key, (temporary) => copyFile(filePath, temporary));
    const stored = await this.stat(key);
    return { ...stored!, contentType: stored!.contentType === 'application/octet-stream' ? contentType : stored!.contentType };
  }

  async putStream(key: string, body: AsyncIterable<Buffer>, maxBytes: number): Promise<StoredObject> {
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        size += chunk.length;
        next(size > maxBytes ? new StorageRejectedError(`more than ${maxBytes} bytes`, 413) : null, chunk);
      },
    });
    // A stream can be read only once, so its folder is made before the first try.
    await this.makeFolderOf(this.pathOf(key));
    await this.placeAtomically(key, (temporary) => pipeline(body, limit, createWriteStream(temporary, { flags: 'wx' })));
    return (await this.stat(key))!;
  }

  hashOf(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** Written straight into the object's folder, no round trip through a work folder; reports the digest of what it wrote. */
  async putBuffer(key: string, bytes: Buffer, contentType: string, hash: string): Promise<StoredObject> {
    // Exactly these bytes were written, and `hash` is `hashOf(bytes)` (the contract): hashing them again adds nothing.
    await this.placeAtomically(key, (temporary) => writeFile(temporary, bytes, { flag: 'wx' }));
    return { key, size: bytes.length, contentType, hash };
  }

  async stat(key: string): Promise<StoredObject | null> {
    const path = this.pathOf(key);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!info?.isFile()) return null;
    return { key, size: info.size, contentType: await sniffFile(path), hash: await sha256OfFile(path) };
  }

  /**
   * The root must be the store (its marker is there) and writable: writes make missing folders *under* it, so a
   * volume deleted or unmounted since start-up would otherwise fill this host's own disk, where no other process
   * sees the objects.
   */
  async probe(): Promise<void> {
    const root = this.options.root;
    const marked = await stat(join(root, ROOT_MARKER)).then(() => true, () => false);
    if (!marked) {
      const info = await stat(root).catch(() => null);
      if (!info) throw new Error(`storage folder ${root} is missing`);
      if (!info.isDirectory()) throw new Error(`storage folder ${root} is not a folder`);
      throw new Error(`storage folder ${root} has no ${ROOT_MARKER}: not the store (an unmounted volume?)`);
    }
    await access(root, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`storage folder ${root} is not writable (${error.code})`);
    });
  }

  async download(key: string, destinationPath: string): Promise<void> {
    await copyFile(this.pathOf(key), destinationPath).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new StorageNotFoundError(`no object ${key}`) : error;
    });
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })));
  }

  urlFor(key: string): string {
    return `${this.options.publicBaseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async purgeFromCdn(): Promise<void> {
    // Served by the API itself: there is no CDN to tell.
  }

  issueDirectUpload(policy: DirectUploadPolicy): DirectUploadTicket {
    const deadline = Math.floor(Date.now() / 1000) + policy.expiresInSec;
    const grant: LocalUploadGrant = {
      key: policy.key,
      maxBytes: policy.maxBytes,
      allowedTypes: policy.allowedTypes,
      deadline,
    };
    const encoded = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return {
      uploadUrl: this.options.uploadUrl,
      token: `${encoded}.${this.sign(encoded)}`,
      expiresAt: new Date(deadline * 1000),
    };
  }

  /** Checks a direct-upload token's signature and deadline; the caller enforces the rest of the grant. */
  verifyUploadToken(token: string): LocalUploadGrant {
    const [encoded, signature = ''] = token.split('.');
    const expected = Buffer.from(this.sign(encoded ?? ''));
    const given = Buffer.from(signature);
    if (!encoded || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new StorageRejectedError('bad token', 401);
    }
    const grant = JSON.parse(Buffer.from(encoded, 'base64url').toString()) as LocalUploadGrant;
    const overdue = Math.floor(Date.now() / 1000) - grant.deadline;
    if (overdue > 0) throw new StorageRejectedError(`token expired ${overdue} seconds ago`, 401);
    return grant;
  }

  /**
   * Marks a direct-upload token as used, atomically (`wx`): false if it already was. The mark outlives the object
   * (which the worker deletes after processing), so a token cannot write its key twice; it goes once the token expired.
   */
  async claimDirectUpload(grant: LocalUploadGrant): Promise<boolean> {
    await this.makeFolderOf(this.claimPath(grant.key));
    // The upload's bytes go there next; the root was just checked (a root remounted since start-up may lack it).
    await mkdir(this.uploadsInFlightDir, { recursive: true });
    try {
      await writeFile(this.claimPath(grant.key), String(grant.deadline), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  /** Gives a claimed token back after an upload that stored nothing, so the client can try again. */
  async releaseDirectUpload(key: string): Promise<void> {
    await rm(this.claimPath(key), { force: true });
  }

  /** Forgets the claims of tokens that have expired; returns how many. */
  override async forgetExpiredUploadClaims(now: Date): Promise<number> {
    const names = await readdir(this.claimsDir).catch(() => [] as string[]);
    let forgotten = 0;
    for (const name of names) {
      const deadline = Number(await readFile(join(this.claimsDir, name), 'utf8').catch(() => 'NaN'));
      if (!(deadline * 1000 < now.getTime())) continue;
      await rm(join(this.claimsDir, name), { force: true });
      forgotten += 1;
    }
    return forgotten;
  }

  /** Where the direct-upload endpoint writes a file before it becomes an object: inside the root, so it can be linked. */
  get uploadsInFlightDir(): string {
    return join(this.options.root, '.incoming');
  }

  /** Makes a finished file the object `key` unless that exists: insert-only, atomic (a hard link cannot overwrite). */
  async insertFile(key: string, filePath: string): Promise<boolean> {
    const target = this.pathOf(key);
    try {
      await this.makeFolderOf(target);
      await link(filePath, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(filePath, { force: true });
    }
  }

  private get claimsDir(): string {
    return join(this.options.root, '.claims');
  }

  private claimPath(key: string): string {
    return join(this.claimsDir, Buffer.from(key).toString('base64url'));
  }

  /** Absolute path of a key; refuses keys that could escape the root. */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    // Only the folder that holds every key with this prefix is walked: `avatars/4` starts from `avatars/`.
    yield* this.walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  private async *walk(folder: string, prefix: string): AsyncIterable<ListedObject> {
    const path = folder === '' ? this.options.root : this.pathOf(folder.slice(0, -1));
    const entries = await readdir(path, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // No key starts with a dot: those are the driver's own (the root's marker, token claims, uploads in flight).
      if (entry.name.startsWith('.')) continue;
      const key = folder + entry.name;
      if (entry.isDirectory() && (prefix.startsWith(`${key}/`) || key.startsWith(prefix))) {
        yield* this.walk(`${key}/`, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(join(path, entry.name)).catch(() => null); // deleted meanwhile: not listed
        if (info) yield { key, size: info.size, storedAt: info.mtime };
      }
    }
  }

  pathOf(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').some((segment) => segment === '..' || segment === '.')) {
      throw new StorageRejectedError(`invalid object key`, 400);
    }
    const path = resolve(this.options.root, key);
    if (!path.startsWith(this.options.root + sep)) throw new StorageRejectedError('invalid object key', 400);
    return path;
  }

  /** Written beside the final path, then renamed: readers never see a half-written object, and a crash leaves at most a temp file. */
  private async placeAtomically(key: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(key);
    const temporary = `${target}.${randomUUID()}.tmp`;
    try {
      // The folder usually exists (a user's avatars share one): create it only when the write says it is missing.
      await write(temporary).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await this.makeFolderOf(target);
        await write(temporary);
      });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Makes the folders between the root and `path`, never the root: a root that vanished is an outage (say an unmounted
   * shared volume), and recreating it would put objects on this host's own disk, where no other process finds them.
   */
  private async makeFolderOf(path: string): Promise<void> {
    await this.probe().catch((error: Error) => {
      throw new StorageUnavailableError(error.message);
    });
    await mkdir(dirname(path), { recursive: true });
  }

  private sign(data: string): string {
    return createHmac('sha256', this.options.tokenSecret).update(data).digest('base64url');
  }
}
