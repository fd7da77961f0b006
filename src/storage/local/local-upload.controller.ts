import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  ForbiddenException,
  PayloadTooLargeException,
  Post,
  UnauthorizedException,
  UnsupportedMediaTypeException,
  UploadedFile,
  UseInterceptors,
  HttpCode,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StorageRejectedError } from '../storage.errors';
import { LocalStorageDriver, sniffFile } from './local.storage-driver';
import { ApiErrors } from '../../docs/api-errors';

/** What the local store answers to a direct upload, shaped like Qiniu's default reply plus size and type. */
interface DirectUploadReply {
  key: string;
  hash: string;
  fsize: number;
  mimeType: string;
}

/**
 * The local driver's stand-in for a storage service's upload endpoint: it enforces the same token rules
 * (key scope, size, type, expiry, insert-only) that Qiniu enforces for its put policy.
 */
@ApiTags('storage')
@Controller('storage/local')
export class LocalUploadController {
  constructor(private readonly storage: LocalStorageDriver) {}

  /** Direct upload target for STORAGE_DRIVER=local; use the token and key from POST /users/me/avatar/upload-token. */
  @Post('upload')
  @ApiErrors(400, 401, 403, 409, 413, 415)
  @HttpCode(200)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['token', 'key', 'file'],
      properties: { token: { type: 'string' }, key: { type: 'string' }, file: { type: 'string', format: 'binary' } },
    },
  })
  @UseInterceptors(FileInterceptor('file'))
  async upload(@Body() fields: { token?: string; key?: string }, @UploadedFile() file?: Express.Multer.File): Promise<DirectUploadReply> {
    try {
      if (!fields.token) throw new StorageRejectedError('token is required', 401);
      const grant = this.storage.verifyUploadToken(fields.token);
      if (!file) throw new BadRequestException('the multipart field "file" is required');
      if (fields.key !== undefined && fields.key !== grant.key) throw new ForbiddenException("key doesn't match with scope");
      if (file.size > grant.maxBytes) throw new PayloadTooLargeException(`exceeds the token's size limit of ${grant.maxBytes} bytes`);
      const mimeType = await sniffFile(file.path);
      if (!grant.allowedTypes.includes(mimeType)) {
        throw new UnsupportedMediaTypeException(`the file is not one of ${grant.allowedTypes.join(', ')}`);
      }
      const target = this.storage.pathOf(grant.key);
      if (await this.storage.stat(grant.key)) throw new ConflictException('file exists');
      await mkdir(dirname(target), { recursive: true });
      await rename(file.path, target);
      const stored = (await this.storage.stat(grant.key))!;
      return { key: stored.key, hash: stored.hash, fsize: stored.size, mimeType: stored.contentType };
    } catch (error) {
      if (error instanceof StorageRejectedError) {
        throw error.status === 401 ? new UnauthorizedException(error.message) : new BadRequestException(error.message);
      }
      throw error;
    } finally {
      if (file) await rm(file.path, { force: true });
    }
  }
}
