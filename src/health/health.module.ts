import { Module } from '@nestjs/common';
import { UploadAdmissionModule } from '../avatars/http/upload-admission.module';
import { QueueModule } from '../queue/queue.module';
import { UsersModule } from '../users/users.module';
import { HealthChecksModule } from './health-checks.module';
import { HealthController } from './health.controller';
import { QueueReport } from './queue-report';
import { ShutdownDrain } from './shutdown-drain';

/** The API's probes (`/health`, `/health/live`, `/health/ready`) and the admin's `/health/details`. */
@Module({
  // UsersModule: AdminGuard reads the caller's role.
  imports: [HealthChecksModule, QueueModule, UsersModule, UploadAdmissionModule],
  controllers: [HealthController],
  providers: [QueueReport, ShutdownDrain],
})
export class HealthModule {}
