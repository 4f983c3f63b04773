import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { AppConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { startCacheModule } from '../../../test/utils/cache-module.js';
import { FlakyProxy } from '../../../test/utils/flaky-proxy.js';
import { createFailureCounter, RateLimiterRes, type FailureCounter } from './failure-counter.js';
import { RedisConnection } from './redis-connection.js';

const redisAvailable = process.env.TEST_REDIS_MODE === 'redis';
const uniqueKey = () => randomBytes(8).toString('hex');
const FALLBACK_WARNING = 'The spec counter falls back to in-process counts';

/** One "app instance" (config and the cache module, which connects Redis) and a counter on it. */
async function counterOn(
  env: Record<string, string>,
  limit = 2,
): Promise<{ moduleRef: TestingModule; sut: FailureCounter }> {
  const moduleRef = await startCacheModule(env);
  const sut = createFailureCounter(moduleRef.get(RedisConnection), moduleRef.get(AppConfig), {
    name: 'spec',
    limit,
    windowSeconds: 60,
  });
  return { moduleRef, sut };
}

/** consumedPoints of each call, or 'refused' (a RateLimiterRes rejection). */
async function consumeTimes(sut: FailureCounter, key: string, times: number): Promise<Array<number | 'refused'>> {
  const results: Array<number | 'refused'> = [];
  for (let i = 0; i < times; i++) {
    results.push(
      await sut.consume(key).then(
        (res) => res.consumedPoints,
        (error: unknown) => {
          if (error instanceof RateLimiterRes) return 'refused' as const;
          throw error;
        },
      ),
    );
  }
  return results;
}

describe(createFailureCounter.name, () => {
  let moduleRef: TestingModule | undefined;
  let counter: FailureCounter;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    vi.restoreAllMocks();
  });

  it('counts in process without REDIS_URL: refused past the limit, and a reward gives one back', async () => {
    ({ moduleRef, sut: counter } = await counterOn({}));
    const key = uniqueKey();

    expect(await consumeTimes(counter, key, 3)).toEqual([1, 2, 'refused']);
    await counter.reward(key);
    await counter.reward(key);
    expect(await consumeTimes(counter, key, 1)).toEqual([2]);
  });

  it('counts in process, promptly, when Redis is unreachable, and says so once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    ({ moduleRef, sut: counter } = await counterOn({ REDIS_URL: 'redis://127.0.0.1:1' }));
    const started = Date.now();

    expect(await consumeTimes(counter, uniqueKey(), 3)).toEqual([1, 2, 'refused']);
    expect(Date.now() - started).toBeLessThan(100);
    expect(warn.mock.calls.filter(([message]) => String(message).includes(FALLBACK_WARNING))).toHaveLength(1);
  });

  describe('on Redis', () => {
    if (!redisAvailable) {
      it.skip('needs Redis (TEST_REDIS_URL)', () => undefined);
      return;
    }
    let proxy: FlakyProxy;
    const others: TestingModule[] = [];

    beforeAll(async () => {
      proxy = new FlakyProxy(new URL(TEST_REDIS_URL));
      await proxy.start();
    });

    afterEach(async () => {
      proxy.resume();
      await Promise.all(others.splice(0).map((other) => other.close()));
    });

    afterAll(async () => {
      await proxy.stop();
    });

    it('shares one count between instances on the same prefix, exactly under concurrency', async () => {
      const prefix = `test:${randomBytes(4).toString('hex')}`;
      const a = await counterOn({ REDIS_URL: TEST_REDIS_URL, CACHE_KEY_PREFIX: prefix }, 5);
      const b = await counterOn({ REDIS_URL: TEST_REDIS_URL, CACHE_KEY_PREFIX: prefix }, 5);
      others.push(a.moduleRef, b.moduleRef);
      const key = uniqueKey();

      const settled = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a.sut : b.sut).consume(key)),
      );

      expect(settled.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
      expect(
        settled.filter((result) => result.status === 'rejected' && result.reason instanceof RateLimiterRes),
      ).toHaveLength(3);
    });

    it('counts in process when Redis answers slower than CACHE_OPERATION_TIMEOUT_MS', async () => {
      ({ moduleRef, sut: counter } = await counterOn({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        CACHE_OPERATION_TIMEOUT_MS: '200',
      }));
      const key = uniqueKey();
      expect(await consumeTimes(counter, key, 1)).toEqual([1]);

      proxy.stall();
      const started = Date.now();
      const during = await consumeTimes(counter, key, 1);
      const elapsed = Date.now() - started;

      expect(during).toEqual([1]); // counted afresh by the in-process fallback
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1_000);
    });
  });
});
