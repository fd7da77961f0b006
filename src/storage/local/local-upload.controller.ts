import { BadRequestException, Body, Controller, ForbiddenException, HttpCode, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../docs/api-errors';
import { GrantedUpload } from './granted-upload-storage';
import { LocalStorageDriver } from './local.storage-driver';

/** What the local store answers to a direct upload, shaped like Qiniu's default reply plus size and type. */
interface DirectUploadReply {
  key: string;
  hash: string;
  fsize: number;
  mimeType: string;
}

/**
 * The local driver's stand-in for a storage service's upload endpoint: it enforces the same token rules
 * (key scope, size, type, expiry, insert-only) that Qiniu enforces for its put policy, and more: the token is
 * checked before any byte is written, and it can be used once. `GrantedUploadStorage` does the checking.
 */
@ApiTags('storage')
@Controller('storage/local')
export class LocalUploadController {
  constructor(private readonly storage: LocalStorageDriver) {}

  /**
   * Direct upload target for STORAGE_DRIVER=local; use the token and key from POST /users/me/avatar/upload-token.
   * The token comes first: a `token` field before `file`, or an `Authorization: UpToken <token>` header.
   */
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
  async upload(@Body() fields: { key?: string }, @UploadedFile() file?: GrantedUpload): Promise<DirectUploadReply> {
    if (!file) throw new BadRequestException('the multipart field "file" is required');
    // A key field after the file could not be checked before writing: the object goes again if it names another key.
    if (fields.key !== undefined && fields.key !== file.key) {
      await this.storage.delete([file.key]);
      await this.storage.releaseDirectUpload(file.key);
      throw new ForbiddenException("key doesn't match with scope");
    }
    const stored = (await this.storage.stat(file.key))!;
    return { key: stored.key, hash: stored.hash, fsize: stored.size, mimeType: stored.contentType };
  }
}
