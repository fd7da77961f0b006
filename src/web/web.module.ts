import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** The demo page served by the API (never by the worker). */
@Module({ controllers: [WebController] })
export class WebModule {}
