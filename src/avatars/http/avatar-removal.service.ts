import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { avatarConfig } from '../../config/avatar.config';
import { JobCodec } from '../../queue/job-codec';
import { DELETE_OBJECTS_JOB, DeleteObjectsJob, MAINTENANCE_QUEUE } from '../../queue/queue.constants';
import { keysOf } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';

/** Removing an avatar: cleared at once, its objects deleted after the grace period, like a replaced avatar's. */
@Injectable()
export class AvatarRemovalService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    private readonly users: UsersService,
    private readonly codec: JobCodec,
  ) {}

  /**
   * Under the user's row lock (the one a finishing upload takes), so an upload received before the removal cannot
   * set its avatar afterwards: the removal counts as the newest change. Nothing to remove is not an error.
   */
  async remove(userId: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const keys = keysOf(await this.users.lockAvatar(manager, userId));
      await this.users.clearAvatar(manager, userId);
      if (keys.length === 0) return;
      const job: DeleteObjectsJob = { userId, keys };
      await this.maintenance.add(DELETE_OBJECTS_JOB, this.codec.encodeTask(job), { delay: this.config.deleteGraceSec * 1000 });
    });
  }
}
