import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigValidationError, loadConfig, readEnvironment, type AppConfig } from '@app/config';
import { AppModule } from './app.module.js';
import { bootBanner, bootSummary } from './boot-banner.js';
import { configureApp, createHttpAdapter } from './core/configure-app.js';
import { ShutdownState } from './core/shutdown/shutdown-state.js';
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

// SIGTERM or SIGINT: drain (keep serving, readiness 503) for SHUTDOWN_DRAIN_MS, then close: no new
// connections, in-flight requests and tracked work finish (at most SHUTDOWN_TIMEOUT_MS), then the
// shutdown hooks run and the database and Redis close, and the process ends by the signal it got.
// A second signal ends it at once.
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const stop = (signal: NodeJS.Signals): void => {
  for (const other of SIGNALS) process.off(other, stop);
  const { shutdownDrainMs, shutdownTimeoutMs } = config.http;
  // Never forever: the margin covers closing the connections after the last request.
  setTimeout(() => process.exit(1), shutdownDrainMs + shutdownTimeoutMs + 2_000).unref();
  const logger = new Logger('Shutdown');
  logger.log(`${signal}: draining for ${shutdownDrainMs} ms, then closing`);
  void app
    .get(ShutdownState)
    .drain(shutdownDrainMs)
    // The HTTP server first: Nest's own close runs its beforeApplicationShutdown hooks (the rate
    // limit's last sync, the revocation rebuild) before it closes the server, while requests still
    // come in. Closing it again inside app.close() is a no-op.
    .then(() => app.getHttpAdapter().getInstance().close())
    .then(() => app.close())
    .then(
      () => process.kill(process.pid, signal),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
};
for (const signal of SIGNALS) process.on(signal, stop);

await app.listen({ port: config.app.port, host: config.app.host });
const summary = bootSummary(config);
new Logger('Bootstrap').log(
  summary.docsUrl ? `API listening on ${summary.url} — docs at ${summary.docsUrl}` : `API listening on ${summary.url}`,
);
if (config.app.logFormat === 'pretty') {
  process.stdout.write(bootBanner(config, app.get(DatabaseSeeder, { strict: false }).takeGeneratedAdmin()));
}
