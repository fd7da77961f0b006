import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { rm } from 'node:fs/promises';
import { In, Repository } from 'typeorm';
import { avatarConfig } from '../../config/avatar.config';
import { IMAGE_CONTENT_TYPES, describeRefusal } from '../../images/image-formats';
import { currentRequestId } from '../../logging/request-context';
import { BrokerConnections } from '../../queue/broker-connections';
import { ResultBackend } from '../../queue/result-backend';
import { StorageDriver } from '../../storage/storage-driver';
import { AvatarUpload } from '../avatar-upload.entity';
import { CropDto, parseCropField } from './dto/crop.dto';
import { UploadRedriveService } from '../upload-redrive.service';
import { UploadAcceptedDto } from './dto/upload-accepted.dto';
import { UploadStatusDto } from './dto/upload-status.dto';
import { StagedFile } from './staging-storage';
import { TooManyRequestsException } from './too-many-requests.exception';
import { User } from '../../users/user.entity';

type NewUpload = Pick<AvatarUpload, 'id' | 'userId' | 'source'> & Partial<AvatarUpload>;

const QUEUE_UNAVAILABLE = 'the upload queue is unavailable; try again shortly';

/** What a client over AVATAR_MAX_PENDING_PER_USER is told to wait: about how long a job takes to finish. */
const PENDING_RETRY_AFTER_SEC = 5;

/** The API side of an upload: record it, hand it to the queue, report on it. Workers do the rest. */
@Injectable()
export class AvatarUploadsService {
  private readonly logger = new Logger(AvatarUploadsService.name);

  constructor(
    @InjectRepository(AvatarUpload) private readonly uploads: Repository<AvatarUpload>,
    private readonly storage: StorageDriver,
    private readonly redrive: UploadRedriveService,
    private readonly broker: BrokerConnections,
    private readonly results: ResultBackend,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
  ) {}

  async acceptServerUpload(userId: number, file: StagedFile | undefined, cropField?: unknown): Promise<UploadAcceptedDto> {
    if (!file) throw new BadRequestException(`send the image as multipart/form-data in the field "avatar"`);
    let crop: CropDto | undefined;
    try {
      crop = parseCropField(cropField);
    } catch (error) {
      await this.discard(file);
      throw error;
    }
    if (file.size === 0) {
      await this.discard(file);
      throw new BadRequestException('the uploaded file is empty');
    }
    if (!file.detectedType) {
      await this.discard(file);
      throw new UnsupportedMediaTypeException(describeRefusal(file.refusedFormat));
    }
    return this.enqueue({
      id: file.filename,
      userId,
      source: 'server',
      checksum: file.sha256,
      size: file.size,
      contentType: IMAGE_CONTENT_TYPES[file.detectedType],
      // Kept in the staging folder or, with STAGING=storage, as a temporary object a worker fetches like a direct upload.
      stagedPath: file.stagedKey ? null : file.path,
      directKey: file.stagedKey,
    }, crop, file.detectedType === 'jpeg' ? file.jpegScans : undefined);
  }

  /** A refused server-side upload leaves neither a staged file nor a temporary object behind. */
  private async discard(file: StagedFile): Promise<void> {
    if (file.stagedKey) await this.storage.delete([file.stagedKey]);
    else await rm(file.path, { force: true });
  }

  /**
   * Records the upload before enqueuing it (MySQL is the truth; the reconciler re-drives a row whose job is lost).
   * If either step fails, nothing is left behind: no row without its file, no file without its row, and the client
   * gets 503 with Retry-After (UnavailableFilter) — at once when the broker is known to be down.
   */
  async enqueue(upload: NewUpload, crop?: CropDto, jpegScans?: number): Promise<UploadAcceptedDto> {
    const jobId = this.redrive.firstJobId(upload.id);
    try {
      if (!this.broker.reachable) throw new ServiceUnavailableException(QUEUE_UNAVAILABLE);
      await this.insertWithinLimit({ ...upload, status: 'queued', jobId, crop: crop ?? null });
    } catch (error) {
      await this.discardStaged(upload);
      throw error;
    }
    try {
      await this.redrive.enqueue({ id: upload.id, userId: upload.userId, crop: crop ?? null }, jobId, { requestId: currentRequestId(), jpegScans });
    } catch (error) {
      this.logger.error(`could not enqueue upload ${upload.id}: ${(error as Error).message}`);
      // The row goes first: if MySQL refuses that too, the reconciler finds a row without its file and fails it.
      await this.uploads.delete({ id: upload.id }).catch(() => undefined);
      await this.discardStaged(upload);
      throw new ServiceUnavailableException(QUEUE_UNAVAILABLE);
    }
    return { uploadId: upload.id, jobId, status: 'queued', statusUrl: `/users/me/avatar/uploads/${upload.id}` };
  }

  private async discardStaged(upload: NewUpload): Promise<void> {
    if (upload.stagedPath) await rm(upload.stagedPath, { force: true });
    // A direct upload's object stays for the client to confirm again; a server-side upload's temporary object goes.
    if (upload.source === 'server' && upload.directKey) await this.storage.delete([upload.directKey]).catch(() => undefined);
  }

  /**
   * Inserts the upload unless its user already has AVATAR_MAX_PENDING_PER_USER uploads queued or processing. The
   * user's row lock serialises one user's concurrent uploads, so two of them cannot both take the last place.
   */
  private async insertWithinLimit(row: NewUpload & Pick<AvatarUpload, 'status' | 'jobId'>): Promise<void> {
    const limit = this.config.maxPendingPerUser;
    await this.uploads.manager.transaction(async (manager) => {
      const user = await manager.findOne(User, { where: { id: row.userId }, select: { id: true }, lock: { mode: 'pessimistic_write' } });
      if (!user) throw new UnauthorizedException('this account no longer exists');
      const pending = await manager.countBy(AvatarUpload, { userId: row.userId, status: In(['queued', 'processing']) });
      if (pending >= limit) {
        throw new TooManyRequestsException(
          `you already have ${pending} uploads waiting to be processed (at most ${limit}); try again when one has finished`,
          PENDING_RETRY_AFTER_SEC,
        );
      }
      // Nothing to read back (TypeORM would otherwise re-select the columns the database filled in).
      await manager.createQueryBuilder().insert().into(AvatarUpload).values(row).updateEntity(false).execute();
    });
  }

  async status(userId: number, uploadId: string): Promise<UploadStatusDto> {
    const upload = await this.uploads.findOneBy({ id: uploadId, userId });
    if (!upload) throw new NotFoundException(`no upload ${uploadId}`);
    return {
      uploadId: upload.id,
      status: upload.status,
      jobId: upload.jobId,
      attempts: upload.attempts,
      progress: await this.progressOf(upload),
      ...(upload.status === 'done' && upload.storageKey ? { avatarUrl: this.storage.urlFor(upload.storageKey) } : {}),
      ...(upload.error ? { error: upload.error } : {}),
      createdAt: upload.createdAt,
      ...(upload.finishedAt ? { finishedAt: upload.finishedAt } : {}),
    };
  }

  /** The row says queued or done; in between the worker's progress reports live in the result backend. */
  private async progressOf(upload: AvatarUpload): Promise<number> {
    if (upload.status === 'done') return 100;
    if (upload.status === 'queued' || !upload.jobId) return 0;
    const record = await this.results.get(upload.jobId).catch(() => null);
    return record?.progress ?? 0;
  }
}
