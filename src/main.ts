import { Logger, ValidationPipe } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger as PinoBackedLogger } from 'nestjs-pino';
import { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { appConfig } from './config/app.config';
import { securityConfig } from './config/security.config';
import { hardenHttp } from './http/http-hardening';
import { RetryLaterFilter } from './http/retry-later.exception';
import { closeOnSignals } from './shutdown';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(PinoBackedLogger));
  app.disable('x-powered-by');
  app.use(cookieParser()); // the admin session cookie (AdminGuard)
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const security = app.get<ConfigType<typeof securityConfig>>(securityConfig.KEY);
  hardenHttp(app, security);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new RetryLaterFilter(app.getHttpAdapter()));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('avatar-pipeline')
      .setDescription('Avatar uploads: the API stages and enqueues, workers process and store.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addTag('auth')
      .addTag('users')
      .addTag('avatars')
      .addTag('jobs')
      .addTag('storage')
      .addTag('health')
      .addTag('admin')
      .build(),
  );
  if (security.swaggerEnabled) SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  await app.listen(config.port, config.host);
  closeOnSignals(app, config.shutdownTimeoutMs);
  if (config.usesGeneratedJwtSecret) {
    new Logger('Api').warn(
      'JWT_SECRET is not set: signing with a random secret made for this process only. Tokens stop working when it ' +
        'restarts, and other API processes do not accept them; set JWT_SECRET to share one.',
    );
  }
  const bound = app.getHttpServer().address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  new Logger('Api').log(
    `listening on http://${address}:${bound.port}; clients reach it at ${config.apiBaseUrl} ` +
      `(the page at ${config.apiBaseUrl}/, Swagger UI at ${config.apiBaseUrl}/docs)`,
  );
}
void bootstrap();
