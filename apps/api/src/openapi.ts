// `npm run openapi`: writes the OpenAPI spec to openapi.json at the repository root, without a
// server or a database. `--check` exits non-zero when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@app/config';
import { AppModule } from './app.module.js';
import { createHttpAdapter } from './core/configure-app.js';
import { buildOpenApiDocument } from './openapi/openapi.js';
import { VersioningType } from '@nestjs/common';

export async function generateOpenApiSpec(): Promise<string> {
  // Defaults only, never the local .env: the spec must be the same on every machine.
  const config = loadConfig({ DATABASE_EMBEDDED_DIR: 'memory://' });
  // Preview mode builds the module graph without instantiating providers: nothing connects.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
    preview: true,
    logger: false,
    rawBody: true,
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  const document = buildOpenApiDocument(app, config);
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}

const target = resolve(process.cwd(), 'openapi.json');
const spec = await generateOpenApiSpec();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply stale.
  }
  if (committed !== spec) {
    console.error('openapi.json is stale: run `npm run openapi` and commit the result.');
    process.exit(1);
  }
  console.log('openapi.json is up to date.');
} else if (process.argv.includes('--stdout')) {
  process.stdout.write(spec);
} else {
  writeFileSync(target, spec);
  console.log(`Wrote ${target}`);
}
