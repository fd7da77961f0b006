import { Module } from '@nestjs/common';
import { QueueModule } from '../../queue/queue.module';
import { UploadAdmission } from './upload-admission';

/** One UploadAdmission per API process, shared by the upload routes and the admin's health details. */
@Module({ imports: [QueueModule], providers: [UploadAdmission], exports: [UploadAdmission] })
export class UploadAdmissionModule {}
