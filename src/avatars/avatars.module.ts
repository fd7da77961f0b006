import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../queue/queue.module';
import { AvatarUpload } from './avatar-upload.entity';
import { DirectUploadTicketRecord } from './direct-upload-ticket.entity';
import { UploadRedriveService } from './upload-redrive.service';

/**
 * What both processes share about avatars: the upload and direct-upload ticket tables, and handing an upload to the
 * queue. The API side lives in `http/` (AvatarsHttpModule, imported by AppModule only), the worker side in `jobs/`
 * (AvatarsJobsModule, WorkerModule only).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AvatarUpload, DirectUploadTicketRecord]), QueueModule],
  providers: [UploadRedriveService],
  exports: [TypeOrmModule, UploadRedriveService],
})
export class AvatarsModule {}
