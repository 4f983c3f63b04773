import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Controller, Get, Logger } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ThrottlerGuard, ThrottlerModule, getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig, AppConfigModule, loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { AppCacheModule } from './cache.module.js';
import { RedisConnection } from './redis-connection.js';
import { RedisThrottlerStorage, createThrottlerStorage } from './redis-throttler.storage.js';
import { FlakyProxy, eventually } from '../../../test/utils/flaky-proxy.js';
import {
  FALLBACK_WARNING,
  newPrefix,
  redisAvailable,
  storageModule,
  uniqueKey,
} from '../../../test/utils/throttler-storage.js';

describe(`${RedisThrottlerStorage.name} when Redis fails`, () => {
  if (!redisAvailable) {
    it.skip('needs Redis (TEST_REDIS_URL)', () => undefined);
    return;
  }

  let proxy: FlakyProxy;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    proxy = new FlakyProxy(new URL(TEST_REDIS_URL));
    await proxy.start();
  });

  afterEach(async () => {
    proxy.resume();
    await moduleRef?.close();
    moduleRef = undefined;
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await proxy.stop();
  });

  it('keeps limiting in process during an outage, logs it, and goes back to Redis after it', async () => {
    moduleRef = await storageModule({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    const sut = moduleRef.get(RedisThrottlerStorage);
    const redis = moduleRef.get(RedisConnection);
    const key = uniqueKey();
    const call = () => sut.increment(key, 5_000, 2, 5_000, 'default');
    await expect(call()).resolves.toMatchObject({ totalHits: 1 });

    const warn = vi.spyOn(Logger.prototype, 'warn');
    await proxy.stop();
    await eventually(() => !redis.isReady);
    const duringOutage = [await call(), await call(), await call()];

    expect(duringOutage.map((record) => [record.totalHits, record.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(FALLBACK_WARNING));

    await proxy.start();
    await eventually(() => redis.isReady);
    // Back on the shared record, which still holds the hit from before the outage.
    await expect(call()).resolves.toMatchObject({ totalHits: 2, isBlocked: false });
  }, 30_000);

  it('falls back when Redis answers slower than CACHE_OPERATION_TIMEOUT_MS', async () => {
    moduleRef = await storageModule({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      CACHE_OPERATION_TIMEOUT_MS: '200',
    });
    const sut = moduleRef.get(RedisThrottlerStorage);
    const key = uniqueKey();
    await sut.increment(key, 5_000, 10, 5_000, 'default');
    const warn = vi.spyOn(Logger.prototype, 'warn');

    proxy.stall();
    const started = Date.now();
    const record = await sut.increment(key, 5_000, 10, 5_000, 'default');
    const elapsed = Date.now() - started;

    expect(record.totalHits).toBe(1); // counted by the in-process fallback
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_000);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Redis did not answer within 200 ms'));
  });
});

@Controller('limited')
class LimitedController {
  @Get()
  ok() {
    return { ok: true };
  }
}

/** The wiring the app module uses, in two "instances" behind one Redis, over HTTP. */
describe('ThrottlerModule with createThrottlerStorage', () => {
  if (!redisAvailable) {
    it.skip('needs Redis (TEST_REDIS_URL)', () => undefined);
    return;
  }

  const apps: NestFastifyApplication[] = [];

  async function instance(prefix: string): Promise<NestFastifyApplication> {
    const config = loadConfig({
      NODE_ENV: 'test',
      REDIS_URL: TEST_REDIS_URL,
      CACHE_KEY_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: '3',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppConfigModule.forRoot(config),
        AppCacheModule,
        ThrottlerModule.forRootAsync({
          inject: [RedisConnection, AppConfig],
          useFactory: (redis: RedisConnection, appConfig: AppConfig) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: appConfig.rateLimit.perMinute }],
            storage: createThrottlerStorage(redis, appConfig),
          }),
        }),
      ],
      controllers: [LimitedController],
      providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    apps.push(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('enforces one limit across instances', async () => {
    const prefix = newPrefix();
    const [one, two] = [await instance(prefix), await instance(prefix)];

    expect(one.get<ThrottlerStorage>(getStorageToken())).toBeInstanceOf(RedisThrottlerStorage);
    const statuses = [];
    for (const app of [one, two, one, two])
      statuses.push((await app.inject({ method: 'GET', url: '/limited' })).statusCode);
    const limited = await two.inject({ method: 'GET', url: '/limited' });

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(55);
  });
});
