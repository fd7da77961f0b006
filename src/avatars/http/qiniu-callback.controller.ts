import { Body, Controller, ForbiddenException, HttpCode, Inject, NotFoundException, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { storageConfig } from '../../config/storage.config';
import { verifyQiniuCallback } from '../../storage/qiniu/qiniu-callback';
import { DirectUploadsService } from './direct-uploads.service';
import { UploadAcceptedDto } from './dto/upload-accepted.dto';

interface QiniuCallbackBody {
  key?: string;
}

/**
 * Qiniu's upload callback: a direct upload confirms itself; Qiniu hands our answer to the uploading client.
 * Registered only when STORAGE_DRIVER=qiniu (see AvatarsHttpModule); answers 404 while QINIU_CALLBACK_URL is unset.
 */
@Controller('storage/qiniu')
export class QiniuCallbackController {
  constructor(
    @Inject(storageConfig.KEY) private readonly config: ConfigType<typeof storageConfig>,
    private readonly directUploads: DirectUploadsService,
  ) {}

  @Post('callback')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async callback(@Req() request: RawBodyRequest<Request>, @Body() body: QiniuCallbackBody): Promise<UploadAcceptedDto> {
    const { qiniu } = this.config;
    if (!qiniu.callbackUrl) throw new NotFoundException('upload callbacks are not enabled');
    // Our put policy asks for a form body; only then does the signature cover the body (with JSON, just the path,
    // so a captured signature would pass with any body).
    if (request.headers['content-type']?.split(';')[0].trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw new UnauthorizedException('upload callbacks must be form-encoded, so that their signature covers the body');
    }
    const genuine = verifyQiniuCallback(
      qiniu,
      qiniu.callbackUrl,
      request.rawBody ?? Buffer.alloc(0),
      request.headers['content-type'],
      request.headers.authorization,
      request.headers,
    );
    if (!genuine) throw new UnauthorizedException('invalid callback signature');
    const owner = body.key ? await this.directUploads.ownerOf(body.key) : null;
    if (owner === null) throw new ForbiddenException('this key was not issued by this service');
    return this.directUploads.confirm(owner, body.key!);
  }
}
