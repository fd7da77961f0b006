import type { StorageDriverName } from '../config/storage.config';

/** What the store reports it holds under a key. `hash` is in the driver's own scheme (see `StorageDriver.hashOf`). */
export interface StoredObject {
  key: string;
  size: number;
  contentType: string;
  hash: string;
}

/** An object found by `StorageDriver.list`. */
export interface ListedObject {
  key: string;
  size: number;
  /** When the object was stored (a local file's modification time). */
  storedAt: Date;
}

/** Rules a client direct upload must obey; the store (or our own endpoint for `local`) enforces them. */
export interface DirectUploadPolicy {
  key: string;
  maxBytes: number;
  allowedTypes: string[];
  expiresInSec: number;
  /** Qiniu only: where the store posts its signed upload callback. */
  callbackUrl?: string;
}

/** What a client needs to upload one object straight to the store. */
export interface DirectUploadTicket {
  /** POST multipart/form-data here with fields `token`, `key` and `file`. */
  uploadUrl: string;
  token: string;
  expiresAt: Date;
}

/**
 * Where avatar objects live. Keys are relative and '/'-separated, e.g. `avatars/42/<sha256>.webp`.
 * An abstract class rather than an interface so that it is its own DI token: inject `StorageDriver`, and
 * StorageModule provides the one driver chosen at start-up (storage/local or storage/qiniu).
 */
export abstract class StorageDriver {
  abstract readonly name: StorageDriverName;
  /** The hash this store would report for the file's bytes (sha256 hex for local, the Qiniu etag for qiniu). */
  abstract hashFile(filePath: string): Promise<string>;
  /** Stores a local file under `key` and reports what the store actually holds. Idempotent for identical bytes. */
  abstract put(key: string, filePath: string, contentType: string): Promise<StoredObject>;
  /**
   * Stores bytes of unknown length as they arrive (an upload being received), holding at most a bounded part of them;
   * refuses more than `maxBytes`. On failure nothing is left under `key`.
   */
  abstract putStream(key: string, body: AsyncIterable<Buffer>, maxBytes: number): Promise<StoredObject>;
  /** The hash this store would report for these bytes, computed in memory. */
  abstract hashOf(bytes: Buffer): string;
  /**
   * Stores bytes held in memory under `key` and reports what the store actually holds. `hash` is `hashOf(bytes)`,
   * computed once by the caller. Idempotent for identical bytes.
   */
  abstract putBuffer(key: string, bytes: Buffer, contentType: string, hash: string): Promise<StoredObject>;
  abstract stat(key: string): Promise<StoredObject | null>;
  /** Copies the object's bytes into a local file; rejects with StorageNotFoundError when missing. */
  abstract download(key: string, destinationPath: string): Promise<void>;
  /** Deletes the keys; missing ones are not an error. */
  abstract delete(keys: string[]): Promise<void>;
  /** A URL a browser can fetch the object from (signed when the bucket is private). */
  abstract urlFor(key: string): string;
  /** Tells CDNs in front of the store to forget these objects (no-op where there is no CDN). */
  abstract purgeFromCdn(keys: string[]): Promise<void>;
  abstract issueDirectUpload(policy: DirectUploadPolicy): DirectUploadTicket;
  /** Every object whose key starts with `prefix`, read page by page (for sweeps over the whole store). */
  abstract list(prefix: string): AsyncIterable<ListedObject>;
  /** Resolves when the store can take work now (readiness probes); rejects with the reason otherwise. */
  abstract probe(): Promise<void>;
  /** Forgets the store's own records of direct-upload tokens that have expired (the local driver's used-token claims). */
  async forgetExpiredUploadClaims(_now: Date): Promise<number> {
    return 0; // a store that keeps no such records (Qiniu enforces its put policy itself)
  }
}
