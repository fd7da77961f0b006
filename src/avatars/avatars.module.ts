import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { UsersModule } from '../users/users.module';
import { AvatarObjectRemoval } from './avatar-object-removal';
import { AvatarUpload } from './avatar-upload.entity';
import { DirectUploadTicketRecord } from './direct-upload-ticket.entity';
import { ObjectDeletionCount } from './object-deletion-count.entity';
import { ObjectDeletions } from './object-deletions';
import { UploadRedriveService } from './upload-redrive.service';

/**
 * What the processes share about avatars: the upload, direct-upload ticket and deletion tally tables, handing an
 * upload to the queue, and deleting avatar objects under the user's lock with the deletion tally (AvatarObjectRemoval,
 * ObjectDeletions: the worker and the admin CLI delete avatar objects).
 * The API side lives in `http/` (AvatarsHttpModule, imported by AppModule only), the worker side in `jobs/`
 * (AvatarsJobsModule, WorkerModule only).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AvatarUpload, DirectUploadTicketRecord, ObjectDeletionCount]), QueueModule, StorageModule, UsersModule],
  providers: [UploadRedriveService, ObjectDeletions, AvatarObjectRemoval],
  exports: [TypeOrmModule, UploadRedriveService, ObjectDeletions, AvatarObjectRemoval],
})
export class AvatarsModule {}
