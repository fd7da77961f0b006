import { getQueueToken } from '@nestjs/bull';
import { HttpStatus, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avatarConfig } from '../../config/avatar.config';
import { queueConfig } from '../../config/queue.config';
import { JobCodec } from '../../queue/job-codec';
import { BrokerConnections } from '../../queue/broker-connections';
import { AVATAR_QUEUE } from '../../queue/queue.constants';
import { ResultBackend } from '../../queue/result-backend';
import { StorageDriver } from '../../storage/storage-driver';
import { AvatarUpload } from '../avatar-upload.entity';
import { UploadRedriveService } from '../upload-redrive.service';
import { AvatarUploadsService } from './avatar-uploads.service';
import { StagedFile } from './staging-storage';

/** Just enough of a TypeORM repository and its entity manager, kept in memory; users 1–99 exist. */
class MemoryUploads {
  readonly rows = new Map<string, Partial<AvatarUpload>>();
  readonly manager = {
    transaction: async <T>(work: (manager: unknown) => Promise<T>): Promise<T> =>
      work({
        findOne: async (_entity: unknown, { where }: { where: { id: number } }) => (where.id < 100 ? { id: where.id } : null),
        countBy: async (_entity: unknown, { userId }: { userId: number }) =>
          [...this.rows.values()].filter((row) => row.userId === userId && ['queued', 'processing'].includes(row.status!)).length,
        createQueryBuilder: () => ({
          insert: () => ({
            into: () => ({ values: (row: Partial<AvatarUpload>) => ({ updateEntity: () => ({ execute: () => this.insert(row) }) }) }),
          }),
        }),
      }),
  };
  async insert(row: Partial<AvatarUpload>) {
    this.rows.set(row.id!, { ...row, createdAt: new Date(), attempts: 0 });
  }
  async delete({ id }: { id: string }) {
    this.rows.delete(id);
  }
  async findOneBy({ id, userId }: { id: string; userId: number }) {
    const row = this.rows.get(id);
    return row && row.userId === userId ? row : null;
  }
}

class FakeQueue {
  readonly added: Array<{ name: string; data: unknown; opts: { jobId: string } }> = [];
  unavailable = false;
  async add(name: string, data: unknown, opts: { jobId: string }) {
    if (this.unavailable) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    this.added.push({ name, data, opts });
  }
}

describe(AvatarUploadsService.name, () => {
  let dir: string;
  let service: AvatarUploadsService;
  let uploads: MemoryUploads;
  let queue: FakeQueue;
  let broker: { reachable: boolean };

  const staged = (
    bytes: Buffer,
    detectedType: StagedFile['detectedType'],
    refusedFormat: string | null = null,
    id = 'f1e2d3c4-0000-4000-8000-000000000001',
  ): StagedFile => {
    const path = join(dir, id);
    writeFileSync(path, bytes);
    const jpegScans = detectedType === 'jpeg' ? 4 : 0;
    return { path, filename: id, size: bytes.length, sha256: 'ab'.repeat(32), detectedType, refusedFormat, jpegScans } as StagedFile;
  };
  const jpeg = (n: number) => staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg', null, `f1e2d3c4-0000-4000-8000-00000000000${n}`);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uploads-spec-'));
    uploads = new MemoryUploads();
    queue = new FakeQueue();
    broker = { reachable: true };
    const moduleRef = await Test.createTestingModule({
      providers: [
        AvatarUploadsService,
        JobCodec,
        { provide: queueConfig.KEY, useValue: { taskSerializer: 'json', resultSerializer: 'json', acceptContent: ['json'] } },
        { provide: getRepositoryToken(AvatarUpload), useValue: uploads },
        { provide: getQueueToken(AVATAR_QUEUE), useValue: queue },
        { provide: ResultBackend, useValue: { record: async () => undefined, get: async () => null } },
        { provide: StorageDriver, useValue: { urlFor: (key: string) => `https://cdn.example.com/${key}` } },
        { provide: BrokerConnections, useValue: broker },
        UploadRedriveService,
        { provide: avatarConfig.KEY, useValue: { maxPendingPerUser: 2 } },
      ],
    }).compile();
    service = moduleRef.get(AvatarUploadsService);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the upload, then enqueues its first job, whose id names the upload and the enqueue, with the scans counted', async () => {
    const file = staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg');
    const accepted = await service.acceptServerUpload(7, file);
    expect(accepted).toEqual({
      uploadId: file.filename,
      jobId: `upload-${file.filename}-1`,
      status: 'queued',
      statusUrl: `/users/me/avatar/uploads/${file.filename}`,
    });
    expect(uploads.rows.get(file.filename)).toMatchObject({ userId: 7, status: 'queued', contentType: 'image/jpeg', stagedPath: file.path });
    expect(queue.added).toEqual([
      {
        name: 'upload-avatar',
        data: { contentType: 'application/json', body: JSON.stringify({ uploadId: file.filename, jpegScans: 4 }) },
        opts: { jobId: `upload-${file.filename}-1` },
      },
    ]);
  });

  it('leaves no row and no staged file when the queue cannot take the job (503)', async () => {
    queue.unavailable = true;
    // The service logs the simulated broker failure as it would a real one; in a test run that is only noise.
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const file = staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg');
    await expect(service.acceptServerUpload(7, file)).rejects.toMatchObject({ status: HttpStatus.SERVICE_UNAVAILABLE });
    logged.mockRestore();
    expect(uploads.rows.size).toBe(0);
    expect(existsSync(file.path)).toBe(false);
  });

  it('refuses at once (503) when the broker is known to be down, leaving no row and no staged file', async () => {
    broker.reachable = false;
    const file = staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg');
    await expect(service.acceptServerUpload(7, file)).rejects.toMatchObject({ status: HttpStatus.SERVICE_UNAVAILABLE });
    expect(uploads.rows.size).toBe(0);
    expect(existsSync(file.path)).toBe(false);
    expect(queue.added).toEqual([]);
  });

  it('removes the staged file when MySQL cannot record the upload', async () => {
    uploads.insert = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', fatal: true });
    };
    const file = staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg');
    await expect(service.acceptServerUpload(7, file)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(existsSync(file.path)).toBe(false);
    expect(queue.added).toEqual([]);
  });

  it('refuses content that is not an accepted image (415) and deletes it', async () => {
    const file = staged(Buffer.from('<svg onload="alert(1)"/>'), null, 'SVG');
    await expect(service.acceptServerUpload(7, file)).rejects.toMatchObject({
      status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      message: 'unsupported format: SVG; upload a JPEG, PNG, WebP, GIF or AVIF image',
    });
    expect(existsSync(file.path)).toBe(false);
    expect(queue.added).toEqual([]);
  });

  it('refuses a missing or empty file (400)', async () => {
    await expect(service.acceptServerUpload(7, undefined)).rejects.toMatchObject({ status: HttpStatus.BAD_REQUEST });
    const empty = staged(Buffer.alloc(0), null);
    await expect(service.acceptServerUpload(7, empty)).rejects.toMatchObject({ status: HttpStatus.BAD_REQUEST });
    expect(existsSync(empty.path)).toBe(false);
  });

  it("reports only the caller's own uploads", async () => {
    const file = staged(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'jpeg');
    await service.acceptServerUpload(7, file);
    await expect(service.status(7, file.filename)).resolves.toMatchObject({ status: 'queued', attempts: 0 });
    await expect(service.status(8, file.filename)).rejects.toMatchObject({ status: HttpStatus.NOT_FOUND });
  });

  it('takes at most AVATAR_MAX_PENDING_PER_USER queued or processing uploads per user (429 with a wait), then more once one finished', async () => {
    await service.acceptServerUpload(7, jpeg(1));
    await service.acceptServerUpload(7, jpeg(2));
    const third = jpeg(3);
    await expect(service.acceptServerUpload(7, third)).rejects.toMatchObject({
      status: HttpStatus.TOO_MANY_REQUESTS,
      retryAfterSec: expect.any(Number),
      message: 'you already have 2 uploads waiting to be processed (at most 2); try again when one has finished',
    });
    expect(existsSync(third.path)).toBe(false);
    expect(uploads.rows.has(third.filename)).toBe(false);
    await service.acceptServerUpload(8, jpeg(4)); // another user is not affected

    uploads.rows.get(jpeg(1).filename)!.status = 'done';
    await expect(service.acceptServerUpload(7, jpeg(5))).resolves.toMatchObject({ status: 'queued' });
  });

  it("answers 401 for a user who no longer exists, keeping neither a row nor the staged file", async () => {
    const file = jpeg(1);
    await expect(service.acceptServerUpload(100, file)).rejects.toMatchObject({ status: HttpStatus.UNAUTHORIZED });
    expect(uploads.rows.size).toBe(0);
    expect(existsSync(file.path)).toBe(false);
  });
});
