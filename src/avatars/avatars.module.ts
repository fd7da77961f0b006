import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvatarUpload } from './avatar-upload.entity';
import { DirectUploadTicketRecord } from './direct-upload-ticket.entity';

/**
 * What both processes share about avatars: the upload and direct-upload ticket tables. The API side lives in
 * `http/` (AvatarsHttpModule, imported by AppModule only), the worker side in `jobs/` (AvatarsJobsModule, WorkerModule only).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AvatarUpload, DirectUploadTicketRecord])],
  exports: [TypeOrmModule],
})
export class AvatarsModule {}
