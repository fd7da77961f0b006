import { Module } from '@nestjs/common';
import { ImagesModule } from '../../images/images.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { QueueModule } from '../../queue/queue.module';
import { StorageModule } from '../../storage/storage.module';
import { UsersModule } from '../../users/users.module';
import { AvatarsModule } from '../avatars.module';
import { AvatarMaintenanceService } from './avatar-maintenance.service';
import { AvatarProcessingService } from './avatar-processing.service';
import { MaintenanceSchedules } from './maintenance-schedules';
import { MaintenanceProcessor } from './maintenance.processor';
import { QueueDrain } from './queue-drain';
import { UploadAvatarProcessor } from './upload-avatar.processor';
import { UploadReconciler } from './upload-reconciler';

/** The worker side of avatars: the queue consumers and the image work behind them. WorkerModule only. */
@Module({
  imports: [AvatarsModule, QueueModule, StorageModule, UsersModule, ImagesModule, MetricsModule],
  providers: [
    UploadAvatarProcessor,
    MaintenanceProcessor,
    AvatarProcessingService,
    AvatarMaintenanceService,
    MaintenanceSchedules,
    UploadReconciler,
    QueueDrain,
  ],
})
export class AvatarsJobsModule {}
