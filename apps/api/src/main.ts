import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigValidationError, loadConfig, readEnvironment, type AppConfig } from '@app/config';
import { AppModule } from './app.module.js';
import { bootBanner, bootSummary } from './boot-banner.js';
import { configureApp, createHttpAdapter } from './core/configure-app.js';
import { DatabaseSeeder } from './seed/database-seeder.js';

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(readEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    // One message listing every problem, and no stack trace: this is an operator error.
    console.error(error.message);
    process.exit(1);
  }
}

const config = loadConfigOrExit();
const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
  bufferLogs: true,
  // Keeps each request's raw body next to the parsed one: webhook signatures are over the raw bytes.
  rawBody: true,
});
await configureApp(app, config);
// Accepted, but an operator should see it: one line each (a development secret with NODE_ENV unset).
for (const warning of config.warnings) new Logger('Config').warn(warning);

// Shutdown waits for in-flight requests, but never forever.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => setTimeout(() => process.exit(1), config.http.shutdownTimeoutMs).unref());
}

await app.listen({ port: config.app.port, host: config.app.host });
const summary = bootSummary(config);
new Logger('Bootstrap').log(
  summary.docsUrl ? `API listening on ${summary.url} — docs at ${summary.docsUrl}` : `API listening on ${summary.url}`,
);
if (config.app.logFormat === 'pretty') {
  process.stdout.write(bootBanner(config, app.get(DatabaseSeeder, { strict: false }).takeGeneratedAdmin()));
}
