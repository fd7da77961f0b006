import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule, BullBoardModuleOptions } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { AdminSessionController } from './admin-session.controller';
import { DashboardContentPolicy } from './dashboard-content-policy.middleware';
import { QueueDashboard } from './queue-dashboard';
import { QueueDashboardAuth } from './queue-dashboard-auth.middleware';

/** The operator's browser surface (API only): the admin login and the queue dashboard at /admin/queues. */
@Module({
  imports: [
    QueueModule,
    BullBoardModule.forRoot({
      route: '/admin/queues',
      // @bull-board/express 9.10.1 carries its own copy of @bull-board/api (9.10.1), whose types differ from 9.10.2's
      // only by name; at run time the adapter fits.
      adapter: ExpressAdapter as unknown as BullBoardModuleOptions['adapter'],
      middleware: [DashboardContentPolicy, QueueDashboardAuth],
      boardOptions: { uiConfig: { boardTitle: 'avatar-pipeline', miscLinks: [{ text: 'Log out', url: '/admin/logout' }] } },
    }),
  ],
  controllers: [AdminSessionController],
  providers: [QueueDashboard],
})
export class AdminModule {}
