import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  MessageEvent,
  Param,
  ParseUUIDPipe,
  Post,
  Sse,
  UploadedFile,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { CurrentUserId } from '../../auth/current-user-id.decorator';
import { JwtGuard } from '../../auth/jwt.guard';
import { AvatarRemovalService } from './avatar-removal.service';
import { ThrottledPerUser } from '../../throttling/throttling.module';
import { AvatarUploadsService } from './avatar-uploads.service';
import { DirectUploadsService } from './direct-uploads.service';
import { UploadAcceptedDto } from './dto/upload-accepted.dto';
import { ConfirmUploadDto, UploadTokenDto, UploadTokenRequestDto } from './dto/upload-token.dto';
import { UploadEventDto, UploadStatusDto } from './dto/upload-status.dto';
import { RetryAfterFilter } from './retry-after.filter';
import { StagedFile } from './staging-storage';
import { UploadEventsService } from './upload-events.service';
import { ApiErrors } from '../../docs/api-errors';
import { StreamsUpload, UploadAdmissionGuard } from './upload-admission.guard';

@ApiTags('avatars')
@ApiBearerAuth()
@UseGuards(JwtGuard)
@UseFilters(RetryAfterFilter)
@Controller('users/me/avatar')
export class AvatarsController {
  constructor(
    private readonly uploads: AvatarUploadsService,
    private readonly directUploads: DirectUploadsService,
    private readonly removal: AvatarRemovalService,
    private readonly uploadEvents: UploadEventsService,
  ) {}

  /**
   * Uploads a new avatar (JPEG, PNG, WebP, GIF or AVIF, judged by content). Answers at once with 202; a worker stores it.
   * 400 without a file in the `avatar` field, 413 over AVATAR_MAX_BYTES, 415 when the content is not an accepted image,
   * 429 (with Retry-After) while AVATAR_MAX_PENDING_PER_USER of the caller's uploads are queued or processing,
   * 503 + Retry-After when the service is full (UPLOAD_MAX_INFLIGHT, QUEUE_MAX_WAITING) or a dependency is down,
   * 507 when the staging disk is full.
   */
  @Post()
  @ApiErrors(400, 401, 413, 415, 429, 503, 507)
  @ThrottledPerUser()
  @HttpCode(202)
  @UseGuards(UploadAdmissionGuard)
  @StreamsUpload()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['avatar'],
      properties: {
        avatar: { type: 'string', format: 'binary', description: 'The image file' },
        crop: {
          type: 'string',
          // Swagger UI would otherwise prefill "string", which is no crop at all.
          example: '',
          description: 'Optional: the square to use, as JSON in pixels of the image as displayed, e.g. {"x":0,"y":0,"width":640,"height":640}',
        },
      },
    },
  })
  @UseInterceptors(FileInterceptor('avatar'))
  upload(
    @CurrentUserId() userId: number,
    @UploadedFile() file?: StagedFile,
    @Body('crop') crop?: string,
  ): Promise<UploadAcceptedDto> {
    return this.uploads.acceptServerUpload(userId, file, crop);
  }

  /**
   * Starts a client direct upload: a short-lived token that lets the client upload one image, under a key the
   * server chose, straight to storage (`uploadUrl`, multipart fields `token`, `key`, `file`).
   */
  @Post('upload-token')
  @ApiErrors(400, 401, 413, 429)
  @ThrottledPerUser()
  issueUploadToken(@CurrentUserId() userId: number, @Body() body: UploadTokenRequestDto): Promise<UploadTokenDto> {
    return this.directUploads.issue(userId, body);
  }

  /**
   * Finishes a direct upload: the server checks what storage holds under the key, then processes it like any
   * upload. 403 for another user's key, 404 when nothing was uploaded, 409 when already confirmed, 413/415 from storage.
   */
  @Post('confirm')
  @ApiErrors(400, 401, 403, 404, 409, 413, 415, 429, 503)
  @HttpCode(202)
  @UseGuards(UploadAdmissionGuard)
  confirm(@CurrentUserId() userId: number, @Body() body: ConfirmUploadDto): Promise<UploadAcceptedDto> {
    return this.directUploads.confirm(userId, body.key, body.crop);
  }

  /**
   * Removes the caller's avatar at once (204, also when there is none). Its objects are deleted after
   * AVATAR_DELETE_GRACE_SEC, like a replaced avatar's; an upload received before the removal no longer sets it.
   */
  @Delete()
  @ApiErrors(401)
  @HttpCode(204)
  async remove(@CurrentUserId() userId: number): Promise<void> {
    await this.removal.remove(userId);
  }

  /**
   * The upload's live status as Server-Sent Events (`event: status`, data like the status's): one event when the
   * stream opens, one whenever status or progress moves; the stream ends after `done` or `failed`. Send the bearer
   * token in the Authorization header (read the stream with fetch: EventSource cannot send headers).
   */
  @Sse('uploads/:uploadId/events')
  @ApiErrors(400, 401, 404)
  @ApiOkResponse({
    description: '`status` events, each with data like this',
    content: { 'text/event-stream': { schema: { $ref: getSchemaPath(UploadEventDto) } } },
  })
  @ApiExtraModels(UploadEventDto)
  events(
    @CurrentUserId() userId: number,
    @Param('uploadId', new ParseUUIDPipe()) uploadId: string,
  ): Promise<Observable<MessageEvent>> {
    return this.uploadEvents.follow(userId, uploadId);
  }

  /** The outcome of one of the caller's uploads. */
  @Get('uploads/:uploadId')
  @ApiErrors(400, 401, 404)
  status(
    @CurrentUserId() userId: number,
    @Param('uploadId', new ParseUUIDPipe()) uploadId: string,
  ): Promise<UploadStatusDto> {
    return this.uploads.status(userId, uploadId);
  }
}
