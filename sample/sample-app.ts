import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { addDpopSecurityScheme } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { SampleConfig } from './sample.config.js';

/** Builds and starts the sample; `overrides` replace settings read from the environment (tests use it). */
export async function createSampleApp(overrides: Partial<SampleConfig> = {}): Promise<INestApplication> {
  const config = Object.assign(new SampleConfig(), overrides);
  const app = await NestFactory.create(AppModule.register(config), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  // GET /docs (Swagger UI) and /docs-json: every @DpopBound() route lists the DPoP security requirement.
  const openApi = addDpopSecurityScheme(
    new DocumentBuilder()
      .setTitle('nestjs-dpop sample')
      .setDescription('An OAuth authorization server and a DPoP-protected API (RFC 9449)')
      .addServer(config.issuer)
      .addBearerAuth(),
  ).build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi));
  await app.listen(config.port, config.host);
  new Logger('Sample').log(`nestjs-dpop sample listening on ${config.issuer} (http://${config.host}:${config.port})`);
  return app;
}
