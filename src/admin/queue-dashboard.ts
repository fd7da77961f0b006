import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import type { ExpressAdapter } from '@bull-board/express';
import { BULL_BOARD_ADAPTER, BullBoardInstance, InjectBullBoard } from '@bull-board/nestjs';
import { Queue } from 'bull';
import { decodePayload, EncodedPayload } from '../queue/job-codec';
import { AVATAR_QUEUE, MAINTENANCE_QUEUE } from '../queue/queue.constants';

// bull-board's page asks Google Fonts for its typefaces; without it the page uses the browser's own sans-serif.
const REMOTE_FONTS = /<link[^>]+href="https:\/\/fonts\.googleapis\.com\/[^>]*>/g;

type RenderCallback = (error: Error | null, html?: string) => void;
type ViewEngine = (path: string, options: object, done: RenderCallback) => void;

/**
 * Both queues on the dashboard, with payloads and results shown decoded rather than as `{contentType, body}`, and a
 * page that loads nothing from a third party (the admin's browser would tell Google who opens it, and wait on it).
 */
@Injectable()
export class QueueDashboard implements OnModuleInit {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @Inject(BULL_BOARD_ADAPTER) private readonly server: ExpressAdapter,
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
    this.renderPagesWithoutRemoteFonts();
  }

  private renderPagesWithoutRemoteFonts(): void {
    const app = this.server.getRouter() as { engines: Record<string, ViewEngine>; engine(ext: string, engine: ViewEngine): void };
    const render = app.engines['.ejs'];
    app.engine('ejs', (path, options, done) => render(path, options, (error, html) => done(error, html?.replace(REMOTE_FONTS, ''))));
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
