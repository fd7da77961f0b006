import { BadRequestException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json, urlencoded } from 'express';
import type { IncomingMessage } from 'node:http';
import helmet from 'helmet';
import { securityConfig } from '../config/security.config';
import { MAX_JSON_DEPTH, jsonNestedDeeperThan } from './json-depth';

/** Keeps the bytes of a body for handlers that check a signature over them (the Qiniu callback). */
function keepRawBody(request: IncomingMessage & { rawBody?: Buffer }, _response: unknown, body: Buffer): void {
  request.rawBody = body;
}

/**
 * What every response of the API carries and every request body goes through: helmet's headers, CORS for the
 * origins in CORS_ORIGINS (none by default), and body parsers that refuse JSON nested deeper than MAX_JSON_DEPTH
 * with 400 before anything walks it (class-transformer would recurse until the stack overflows: a 500).
 * Call right after creating the app with `bodyParser: false`, so these parsers replace Nest's.
 */
export function hardenHttp(app: NestExpressApplication, config: ConfigType<typeof securityConfig>): void {
  app.set('trust proxy', config.trustProxyHops);
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"] } },
      frameguard: { action: 'deny' },
    }),
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After', 'Location'],
      maxAge: 600,
    });
  }
  app.use(
    json({
      verify: (request: IncomingMessage & { rawBody?: Buffer }, response, body) => {
        if (jsonNestedDeeperThan(body, MAX_JSON_DEPTH)) {
          throw new BadRequestException(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
        }
        keepRawBody(request, response, body);
      },
    }),
  );
  app.use(urlencoded({ extended: true, verify: keepRawBody }));
}
