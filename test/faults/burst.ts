import { Dirent, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApiClient, Reply } from '../support/client';
import { solidJpeg } from '../support/images';
import { Stack, eventually } from '../support/stack';

export interface Figures {
  scenario: string;
  sent: number;
  accepted: number;
  refused: Record<number, number>;
  done: number;
  failed: number;
  recoverySec?: number;
  /** Scenario-specific figures. */
  [extra: string]: unknown;
}

interface Accepted {
  client: ApiClient;
  uploadId: string;
}

/**
 * Uploads from several users (a user may have only a few uploads pending), small distinct JPEGs, and what became of
 * each: the service's answer, then the upload's final status.
 */
export class Burst {
  readonly accepted: Accepted[] = [];
  readonly refused: Record<number, number> = {};
  /** One message per refusing status, to tell a deliberate 503 from an accident when reading the figures. */
  readonly refusals: Record<number, string> = {};
  sent = 0;
  private clients: ApiClient[] = [];

  constructor(private readonly stack: Stack, private readonly scenario: string) {}

  async signUp(users: number): Promise<this> {
    for (let i = 0; i < users; i++) this.clients.push(await new ApiClient(this.stack.baseUrl).signUp());
    return this;
  }

  /** Sends `count` small distinct JPEGs, `parallel` at a time, spread over the users. */
  async send(count: number, parallel = 4): Promise<void> {
    const first = this.sent;
    await this.sendEach(await Promise.all(Array.from({ length: count }, (_, i) => solidJpeg(96, 96, colourOf(first + i, this.scenario)))), parallel);
  }

  /** Sends these files, `parallel` at a time, spread over the users. */
  async sendEach(files: Buffer[], parallel = 4): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < files.length) {
        const n = next++;
        const client = this.clients[this.sent % this.clients.length];
        this.sent += 1;
        const reply = await client.upload(files[n]).catch(
          (error: Error): Reply => ({ status: 0, body: { message: error.message }, headers: new Headers() }),
        );
        if (reply.status === 202) this.accepted.push({ client, uploadId: reply.body.uploadId });
        else {
          this.refused[reply.status] = (this.refused[reply.status] ?? 0) + 1;
          this.refusals[reply.status] ??= String(reply.body?.message ?? reply.body);
          if (reply.status === 503 || reply.status === 507) expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
  }

  /** Polls every accepted upload until it is done or failed; returns the final status bodies. */
  async settle(timeoutMs = 90_000): Promise<any[]> {
    return Promise.all(this.accepted.map(({ client, uploadId }) => client.settle(uploadId, timeoutMs)));
  }

  figures(settled: any[], recoverySec?: number): Figures {
    return {
      scenario: this.scenario,
      sent: this.sent,
      accepted: this.accepted.length,
      refused: this.refused,
      ...(Object.keys(this.refusals).length > 0 ? { refusals: this.refusals } : {}),
      done: settled.filter((s) => s.status === 'done').length,
      failed: settled.filter((s) => s.status === 'failed').length,
      ...(recoverySec === undefined ? {} : { recoverySec: Math.round(recoverySec * 10) / 10 }),
    };
  }
}

/** Distinct colours per upload and scenario, so every upload has its own content-hash keys. */
function colourOf(n: number, salt: string): string {
  let hash = n * 2654435761;
  for (const c of salt) hash = (hash ^ c.charCodeAt(0)) * 16777619;
  return `#${((hash >>> 0) & 0xffffff).toString(16).padStart(6, '0')}`;
}

export function printFigures(figures: Figures): void {
  // The README's "Failures" section quotes these lines.
  process.stdout.write(`FAULT FIGURES ${JSON.stringify(figures)}\n`);
}

/** Every key the store holds. */
export type StoredKeys = () => Promise<string[]>;

/** The marker the local driver writes into its root at start-up: the store's, not an object. */
const ROOT_MARKER = '.avatar-pipeline-store';

export const localKeys = (stack: Stack): StoredKeys => async () =>
  filesUnder(stack.storageDir)
    .map((path) => relative(stack.storageDir, path))
    .filter((key) => key !== ROOT_MARKER);

/** The files under `root`; anything removed while the walk runs (the worker deletes objects meanwhile) is simply absent. */
function filesUnder(root: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(root, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/**
 * The invariant every fault scenario ends with: accepted = done + failed-with-a-reason; nothing queued or processing;
 * no staged file or temporary object without an open upload; no stored object that no avatar or pending deletion
 * references (with the harness's 1 s deletion grace, pending deletions finish within the wait).
 */
export async function expectNothingLost(stack: Stack, burst: Burst, settled: any[], storage: StoredKeys = localKeys(stack)): Promise<void> {
  expect(settled).toHaveLength(burst.accepted.length);
  for (const upload of settled) {
    expect(['done', 'failed']).toContain(upload.status);
    if (upload.status === 'failed') {
      expect(upload.error).toEqual(expect.any(String));
      expect(upload.error).not.toMatch(/\/(tmp|work|var|home)\/|ECONN|\bat \S+ \(|Error:|127\.0\.0\.1|localhost/);
    }
  }
  const open = await stack.query<{ n: number }>(`SELECT COUNT(*) AS n FROM avatar_uploads WHERE status IN ('queued', 'processing')`);
  expect(Number(open[0].n)).toBe(0);
  await eventually(async () => readdirSync(stack.stagingDir), (files) => files.length === 0, 30_000);
  const referenced = async () => {
    const users = await stack.query<{ avatar: any }>('SELECT avatar FROM users WHERE avatar IS NOT NULL');
    return new Set(
      users.flatMap(({ avatar }) => {
        const value = typeof avatar === 'string' ? JSON.parse(avatar) : avatar;
        return [...Object.values(value.variants as Record<string, string>), value.jpeg, ...(value.original ? [value.original] : [])];
      }),
    );
  };
  await eventually(
    async () => {
      const keys = await referenced();
      const stored = await storage();
      return { unreferenced: stored.filter((key) => !keys.has(key)), missing: [...keys].filter((key) => !stored.includes(key)) };
    },
    // Temporary objects (incoming/…) count as unreferenced: every upload here is over.
    ({ unreferenced, missing }) => unreferenced.length === 0 && missing.length === 0,
    30_000,
  );
}
