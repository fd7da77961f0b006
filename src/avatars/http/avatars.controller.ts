import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { CurrentUserId } from '../../auth/current-user-id.decorator';
import { JwtGuard } from '../../auth/jwt.guard';
import { AvatarUploadsService } from './avatar-uploads.service';
import { DirectUploadsService } from './direct-uploads.service';
import { UploadAcceptedDto } from './dto/upload-accepted.dto';
import { ConfirmUploadDto, UploadTokenDto, UploadTokenRequestDto } from './dto/upload-token.dto';
import { UploadStatusDto } from './dto/upload-status.dto';
import { StagedFile } from './staging-storage';

@ApiTags('avatars')
@ApiBearerAuth()
@UseGuards(JwtGuard)
@Controller('users/me/avatar')
export class AvatarsController {
  constructor(
    private readonly uploads: AvatarUploadsService,
    private readonly directUploads: DirectUploadsService,
  ) {}

  /**
   * Uploads a new avatar (JPEG, PNG, WebP or GIF, judged by content). Answers at once with 202; a worker stores it.
   * 400 without a file in the `avatar` field, 413 over AVATAR_MAX_BYTES, 415 when the content is not an accepted image.
   */
  @Post()
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['avatar'],
      properties: { avatar: { type: 'string', format: 'binary', description: 'The image file' } },
    },
  })
  @UseInterceptors(FileInterceptor('avatar'))
  upload(@CurrentUserId() userId: number, @UploadedFile() file?: StagedFile): Promise<UploadAcceptedDto> {
    return this.uploads.acceptServerUpload(userId, file);
  }

  /**
   * Starts a client direct upload: a short-lived token that lets the client upload one image, under a key the
   * server chose, straight to storage (`uploadUrl`, multipart fields `token`, `key`, `file`).
   */
  @Post('upload-token')
  issueUploadToken(@CurrentUserId() userId: number, @Body() body: UploadTokenRequestDto): Promise<UploadTokenDto> {
    return this.directUploads.issue(userId, body);
  }

  /**
   * Finishes a direct upload: the server checks what storage holds under the key, then processes it like any
   * upload. 403 for another user's key, 404 when nothing was uploaded, 409 when already confirmed, 413/415 from storage.
   */
  @Post('confirm')
  @HttpCode(202)
  confirm(@CurrentUserId() userId: number, @Body() body: ConfirmUploadDto): Promise<UploadAcceptedDto> {
    return this.directUploads.confirm(userId, body.key);
  }

  /** The outcome of one of the caller's uploads. */
  @Get('uploads/:uploadId')
  status(
    @CurrentUserId() userId: number,
    @Param('uploadId', new ParseUUIDPipe()) uploadId: string,
  ): Promise<UploadStatusDto> {
    return this.uploads.status(userId, uploadId);
  }
}
