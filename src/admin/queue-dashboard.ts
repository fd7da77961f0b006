import { InjectQueue } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { BullBoardInstance, InjectBullBoard } from '@bull-board/nestjs';
import { Queue } from 'bull';
import { decodePayload, EncodedPayload } from '../queue/job-codec';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';

/** Both queues on the dashboard, with payloads and results shown decoded rather than as `{contentType, body}`. */
@Injectable()
export class QueueDashboard implements OnModuleInit {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @InjectQueue(AVATAR_QUEUE) private readonly avatarQueue: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
  ) {}

  onModuleInit(): void {
    for (const queue of [this.avatarQueue, this.maintenanceQueue]) {
      const adapter = new BullAdapter(queue);
      adapter.setFormatter('data', readablePayload);
      adapter.setFormatter('returnValue', readablePayload);
      this.board.addQueue(adapter);
    }
  }
}

/** Whatever serializer wrote it; a payload that does not decode is shown as it is. */
export function readablePayload(payload: EncodedPayload): unknown {
  try {
    return decodePayload(payload, ['json', 'msgpack']);
  } catch {
    return payload;
  }
}
