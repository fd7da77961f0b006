import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { UploadAdmission } from './upload-admission';

const STREAMING = 'upload-admission:streaming';

/** Marks a route whose request body is the upload itself (counted against UPLOAD_MAX_INFLIGHT). */
export const StreamsUpload = () => SetMetadata(STREAMING, true);

/**
 * Runs before multer (guards precede interceptors), so a refused upload is never read to disk. The slot is released
 * when the response is over, however it ends.
 */
@Injectable()
export class UploadAdmissionGuard implements CanActivate {
  constructor(
    private readonly admission: UploadAdmission,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const response = context.switchToHttp().getResponse<Response>();
    const streaming = this.reflector.get<boolean>(STREAMING, context.getHandler()) ?? false;
    const release = await this.admission.admit(streaming);
    response.once('close', release);
    return true;
  }
}
