import {
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { avatarConfig } from '../../config/avatar.config';
import { ACCEPTED_CONTENT_TYPES, describeRefusal } from '../../images/image-formats';
import { StorageDriver } from '../../storage/storage-driver';
import { DirectUploadTicketRecord } from '../direct-upload-ticket.entity';
import { AvatarUploadsService } from './avatar-uploads.service';
import { CropDto } from './dto/crop.dto';
import { UploadAcceptedDto } from './dto/upload-accepted.dto';
import { UploadTokenDto, UploadTokenRequestDto } from './dto/upload-token.dto';

/**
 * Client direct upload: the server picks the key and signs a narrow token; the client uploads to the store;
 * on confirm the server believes only what the store itself reports, then runs the usual job pipeline.
 */
@Injectable()
export class DirectUploadsService {
  private readonly logger = new Logger(DirectUploadsService.name);

  constructor(
    @InjectRepository(DirectUploadTicketRecord) private readonly tickets: Repository<DirectUploadTicketRecord>,
    private readonly storage: StorageDriver,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    private readonly uploads: AvatarUploadsService,
  ) {}

  async issue(userId: number, request: UploadTokenRequestDto): Promise<UploadTokenDto> {
    if (request.size !== undefined && request.size > this.config.maxBytes) {
      throw new PayloadTooLargeException(`avatars may be at most ${this.config.maxBytes} bytes`);
    }
    const key = `incoming/${userId}/${randomUUID()}`;
    const ticket = this.storage.issueDirectUpload({
      key,
      maxBytes: this.config.maxBytes,
      allowedTypes: [...ACCEPTED_CONTENT_TYPES],
      expiresInSec: this.config.directUploadExpiresSec,
    });
    await this.tickets.insert({ key, userId, maxBytes: this.config.maxBytes, expiresAt: ticket.expiresAt });
    return { ...ticket, key, maxBytes: this.config.maxBytes, allowedTypes: [...ACCEPTED_CONTENT_TYPES] };
  }

  async confirm(userId: number, key: string, crop?: CropDto): Promise<UploadAcceptedDto> {
    const ticket = await this.tickets.findOneBy({ key });
    if (!ticket) throw new NotFoundException(`no upload token was issued for key ${key}`);
    if (ticket.userId !== userId) throw new ForbiddenException('this key was issued to another user');
    if (ticket.uploadId) throw new ConflictException(`this key was already confirmed as upload ${ticket.uploadId}`);

    const object = await this.storage.stat(key);
    if (!object) throw new NotFoundException('nothing has been uploaded under this key yet');
    if (object.size > ticket.maxBytes) {
      await this.discard(key);
      throw new PayloadTooLargeException(`the uploaded file is ${object.size} bytes; avatars may be at most ${ticket.maxBytes}`);
    }
    if (!ACCEPTED_CONTENT_TYPES.includes(object.contentType)) {
      await this.discard(key);
      throw new UnsupportedMediaTypeException(describeRefusal(null));
    }

    const uploadId = randomUUID();
    // Claiming the ticket is the one conditional write that decides between two concurrent confirms.
    const claim = await this.tickets.update({ key, uploadId: IsNull() }, { uploadId });
    if (!claim.affected) throw new ConflictException('this key was already confirmed');
    try {
      return await this.uploads.enqueue({
        id: uploadId,
        userId,
        source: 'direct',
        directKey: key,
        size: object.size,
        contentType: object.contentType,
      }, crop);
    } catch (error) {
      await this.tickets.update({ key }, { uploadId: null });
      throw error;
    }
  }

  /** Which user a key was issued to; the store's upload callback carries the key, not the user. */
  async ownerOf(key: string): Promise<number | null> {
    return (await this.tickets.findOneBy({ key }))?.userId ?? null;
  }

  private async discard(key: string): Promise<void> {
    await this.storage.delete([key]).catch((error: Error) => this.logger.warn(`could not delete ${key}: ${error.message}`));
  }
}
