import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import type { AppConfig } from './config';

/** Builds the HTTP app for a config; main.ts and the end-to-end tests both start it this way. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    new FastifyAdapter({ bodyLimit: 64 * 1024 }),
    { logger: ['error', 'warn', 'log'] },
  );
  app.enableShutdownHooks();
  return app;
}
