import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { SampleConfig } from './sample.config.js';

/** Builds and starts the sample; `overrides` replace settings read from the environment (tests use it). */
export async function createSampleApp(overrides: Partial<SampleConfig> = {}): Promise<INestApplication> {
  const config = Object.assign(new SampleConfig(), overrides);
  const app = await NestFactory.create(AppModule.register(config), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('Sample').log(`nestjs-dpop sample listening on ${config.issuer} (http://${config.host}:${config.port})`);
  return app;
}
