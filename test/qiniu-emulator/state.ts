import { Faults, ServiceClass } from './faults';
import { QiniuError } from './http';

export interface BucketSpec {
  name: string;
  /** Downloads need a signed URL (`e` + `token`). */
  private?: boolean;
}

export interface EmulatorObject {
  key: string;
  data: Buffer;
  hash: string;
  md5: string;
  fsize: number;
  mimeType: string;
  /** 100-ns units since the epoch, as Qiniu reports it. */
  putTime: number;
  type: number;
  endUser?: string;
  meta: Record<string, string>;
}

export interface UploadSession {
  bucket: string;
  /** undefined for `~` (no key given). */
  key?: string;
  token: string;
  expireAt: number;
  parts: Map<number, { data: Buffer; etag: string; md5: string; putTime: number }>;
}

export interface RequestRecord {
  service: ServiceClass | 'admin' | 'unknown';
  method: string;
  path: string;
  status: number;
}

/** Everything the emulator remembers; `reset()` returns it to a fresh start. */
export class EmulatorState {
  readonly buckets = new Map<string, Map<string, EmulatorObject>>();
  readonly privateBuckets = new Set<string>();
  readonly uploads = new Map<string, UploadSession>();
  readonly faults = new Faults();
  readonly refreshed = { urls: [] as string[], dirs: [] as string[] };
  readonly prefetched: string[] = [];
  readonly requests: RequestRecord[] = [];
  clockOffsetSec = 0;

  constructor(
    readonly accessKey: string,
    readonly secretKey: string,
    buckets: Array<string | BucketSpec>,
    /** Bucket served by `GET /<key>`; others by `GET /_bucket/<name>/<key>`. */
    readonly downloadBucket?: string,
  ) {
    for (const spec of buckets) {
      const { name, private: isPrivate } = typeof spec === 'string' ? { name: spec, private: false } : spec;
      this.buckets.set(name, new Map());
      if (isPrivate) this.privateBuckets.add(name);
    }
    this.downloadBucket ??= this.buckets.keys().next().value;
  }

  nowMs(): number {
    return Date.now() + this.clockOffsetSec * 1000;
  }

  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  bucket(name: string): Map<string, EmulatorObject> {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new QiniuError(631, 'no such bucket');
    return bucket;
  }

  reset(): void {
    for (const bucket of this.buckets.values()) bucket.clear();
    this.uploads.clear();
    this.faults.clear();
    this.refreshed.urls.length = 0;
    this.refreshed.dirs.length = 0;
    this.prefetched.length = 0;
    this.requests.length = 0;
    this.clockOffsetSec = 0;
  }
}
