import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bull';
import { AVATAR_QUEUE } from './queue.constants';

/** Reads one `field:value` line of an INFO section. */
const infoField = (info: string, field: string): string | undefined =>
  new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Start-up check of the broker Redis: an evicting policy silently deletes jobs under memory pressure, so a process
 * refuses to start on one; without persistence a restart empties the queue, which the reconciler repairs from MySQL,
 * so that is only a warning. INFO rather than CONFIG GET, which managed Redis services often disable.
 */
@Injectable()
export class BrokerPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Broker');

  constructor(@InjectQueue(AVATAR_QUEUE) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.isReady();
    const memory = await this.queue.client.info('memory');
    const policy = infoField(memory, 'maxmemory_policy');
    if (policy && policy !== 'noeviction') {
      throw new Error(
        `BROKER_URL: the broker Redis has maxmemory-policy ${policy}, which evicts keys (lost jobs) when memory runs ` +
          'short; set maxmemory-policy noeviction on that Redis',
      );
    }
    const persistence = await this.queue.client.info('persistence');
    const aof = infoField(persistence, 'aof_enabled') === '1';
    const saves = await this.queue.client
      .config('GET', 'save')
      .then((reply) => String((reply as string[])[1] ?? '').trim() !== '')
      .catch(() => true);
    if (!aof && !saves) {
      this.logger.warn(
        'the broker Redis has no persistence (no AOF, no RDB snapshots): a restart loses queued jobs until the ' +
          'reconciler re-drives them from MySQL (RECONCILE_INTERVAL_SEC)',
      );
    }
  }
}
