import { randomBytes } from 'node:crypto';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ModuleMetadata } from '@nestjs/common';
import { loadConfig, type AppConfig } from '@app/config';
import { AppModule } from '../../apps/api/src/app.module.js';
import { configureApp, createHttpAdapter } from '../../apps/api/src/core/configure-app.js';
import { TEST_REDIS_URL } from '../setup/test-env.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  database: TestDatabase;
  /** The Redis/cache key prefix owned by this app instance. */
  cachePrefix: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment, applied over the test defaults. */
  env?: Record<string, string>;
  /** Test-only controllers/providers added next to AppModule (e.g. a route that throws). */
  extra?: Pick<ModuleMetadata, 'controllers' | 'providers' | 'imports'>;
  customize?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Reuse a database instead of creating one (it is then not dropped on close). */
  database?: TestDatabase;
  /** Reuse another instance's cache prefix, so both share their Redis state (cache, rate limits). */
  cachePrefix?: string;
}

/** Test-only environment: everything else comes from the same defaults as production. */
export function testEnv(database: TestDatabase, cachePrefix: string, env: Record<string, string> = {}) {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    CACHE_KEY_PREFIX: cachePrefix,
    // Suites sign in many times from one address; the rate-limit tests lower these again.
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    LOGIN_LOCKOUT_CLIENT_FAILURES: '100000',
    LOGIN_LOCKOUT_ACCOUNT_FAILURES: '100000',
    ...(process.env.TEST_REDIS_MODE === 'redis' ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...database.env,
    ...env,
  };
}

/**
 * The real application (AppModule, configureApp, Fastify) on this file's own database and cache
 * prefix. Requests go through `app.inject()` or a real port; nothing is mocked.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const cachePrefix = options.cachePrefix ?? `test:${randomBytes(4).toString('hex')}`;
  const config = loadConfig(testEnv(database, cachePrefix, options.env));

  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.extra?.imports ?? [])],
    controllers: options.extra?.controllers ?? [],
    providers: options.extra?.providers ?? [],
  });
  if (options.customize) builder = options.customize(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    logger: false,
    rawBody: true,
  });
  await configureApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();

  return {
    app,
    config,
    database,
    cachePrefix,
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
