import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Queue } from 'bull';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../../queue/queue.constants';

/**
 * Worker only: stop taking jobs and wait for the active ones before any module closes its connections, because
 * Nest runs the modules' onApplicationShutdown hooks side by side and a job still needs MySQL, Redis and storage.
 */
@Injectable()
export class QueueDrain implements BeforeApplicationShutdown {
  constructor(
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.avatarQueue.close(), this.maintenanceQueue.close()]);
  }
}
