import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@app/config';
import { AppModule } from './app.module.js';
import { configureRouting, createHttpAdapter } from './core/configure-app.js';
import { buildOpenApiDocument } from './core/openapi/openapi.js';

/**
 * The OpenAPI spec as `openapi.json` holds it, built without a server, a database or Redis.
 * Compiled with the app (the @nestjs/swagger CLI plugin reads the DTOs' JSDoc at build time);
 * `tools/openapi.mjs` writes or checks the file.
 */
export async function generateOpenApiSpec(): Promise<string> {
  // Defaults only, never the local .env: the spec must be the same on every machine.
  const config = loadConfig({ DATABASE_EMBEDDED_DIR: 'memory://' });
  // Preview mode builds the module graph without instantiating providers: nothing connects.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
    preview: true,
    logger: false,
    rawBody: true,
  });
  configureRouting(app);
  const document = buildOpenApiDocument(app, config);
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}
