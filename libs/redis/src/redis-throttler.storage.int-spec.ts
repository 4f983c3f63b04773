import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { AppConfig, loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { RedisConnection } from './redis-connection.js';
import {
  RedisThrottlerStorage,
  createThrottlerStorage,
  type ThrottlerStorageRecord,
} from './redis-throttler.storage.js';
import {
  FALLBACK_WARNING,
  redisAvailable,
  sleep,
  storageModule,
  uniqueKey,
  withRawRedis,
} from '../../../test/utils/throttler-storage.js';

describe(createThrottlerStorage.name, () => {
  it('is the built-in in-memory storage when REDIS_URL is not set', () => {
    const config = loadConfig({ NODE_ENV: 'test' });

    const storage = createThrottlerStorage(new RedisConnection(config), config);

    expect(storage).toBeInstanceOf(ThrottlerStorageService);
  });

  it('is the Redis storage when REDIS_URL is set', () => {
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: 'redis://127.0.0.1:1' });

    const storage = createThrottlerStorage(new RedisConnection(config), config);

    expect(storage).toBeInstanceOf(RedisThrottlerStorage);
  });
});

describe(`${RedisThrottlerStorage.name} without Redis`, () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    vi.restoreAllMocks();
  });

  it('counts in process and warns when REDIS_URL is not set', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    moduleRef = await storageModule({});
    const sut = moduleRef.get(RedisThrottlerStorage);
    const key = uniqueKey();

    const first = await sut.increment(key, 1_000, 1, 1_000, 'default');
    const second = await sut.increment(key, 1_000, 1, 1_000, 'default');

    expect(first).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(second).toMatchObject({ totalHits: 2, isBlocked: true, timeToBlockExpire: 1 });
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining(`${FALLBACK_WARNING} (limits hold per instance): REDIS_URL is not set`),
    );
  });

  it('counts in process, promptly, when Redis is unreachable', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    moduleRef = await storageModule({ REDIS_URL: 'redis://127.0.0.1:1' });
    const sut = moduleRef.get(RedisThrottlerStorage);
    const key = uniqueKey();
    const started = Date.now();

    const records = [];
    for (let i = 0; i < 3; i++) records.push(await sut.increment(key, 1_000, 2, 1_000, 'default'));

    expect(records.map((record) => [record.totalHits, record.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(Date.now() - started).toBeLessThan(100);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(FALLBACK_WARNING));
  });
});

/**
 * The same sequence of calls against the built-in storage and ours, call by call. The expected
 * hits and blocks are also written down, so a change of the built-in's semantics shows up here.
 */
interface Scenario {
  name: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  /** A call's expected [totalHits, isBlocked], or a pause in ms. */
  steps: Array<[number, boolean] | { wait: number }>;
}

const scenarios: Scenario[] = [
  {
    name: 'counts up to the limit without blocking',
    ttl: 1_000,
    limit: 3,
    blockDuration: 1_000,
    steps: [
      [1, false],
      [2, false],
      [3, false],
    ],
  },
  {
    name: 'blocks on the first hit over the limit, for blockDuration; hits expire during the block',
    ttl: 1_000,
    limit: 2,
    blockDuration: 2_000,
    steps: [
      [1, false],
      [2, false],
      [3, true],
      [3, true],
      { wait: 1_100 },
      [0, true],
      { wait: 1_000 },
      [1, false],
      [2, false],
    ],
  },
  {
    name: 'a block shorter than ttl ends early and clears the counted hits',
    ttl: 2_000,
    limit: 1,
    blockDuration: 1_000,
    steps: [[1, false], [2, true], { wait: 1_100 }, [1, false], [2, true]],
  },
  {
    name: 'blockDuration 0: refused while limit hits are live, no lasting block',
    ttl: 1_000,
    limit: 2,
    blockDuration: 0,
    steps: [[1, false], [2, false], [3, true], [3, true], { wait: 1_100 }, [1, false]],
  },
  {
    name: 'hits expire one by one (sliding window) while timeToExpire restarts as a fixed window',
    ttl: 1_500,
    limit: 5,
    blockDuration: 1_500,
    steps: [[1, false], { wait: 800 }, [2, false], { wait: 800 }, [2, false], [3, false]],
  },
];

describe(`${RedisThrottlerStorage.name} on Redis`, () => {
  if (!redisAvailable) {
    it.skip('needs Redis (TEST_REDIS_URL)', () => undefined);
    return;
  }

  let moduleRef: TestingModule;
  let sut: RedisThrottlerStorage;
  let prefix: string;

  beforeAll(async () => {
    moduleRef = await storageModule({ REDIS_URL: TEST_REDIS_URL });
    sut = moduleRef.get(RedisThrottlerStorage);
    prefix = moduleRef.get(AppConfig).cache.keyPrefix;
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('counts per key and per throttler name', async () => {
    const [a, b] = [uniqueKey(), uniqueKey()];

    await sut.increment(a, 2_000, 10, 2_000, 'short');
    await sut.increment(a, 2_000, 10, 2_000, 'short');
    const aShort = await sut.increment(a, 2_000, 10, 2_000, 'short');
    const aLong = await sut.increment(a, 2_000, 10, 2_000, 'long');
    const bShort = await sut.increment(b, 2_000, 10, 2_000, 'short');

    expect(aShort).toEqual({ totalHits: 3, timeToExpire: 2, isBlocked: false, timeToBlockExpire: 0 });
    expect(aLong.totalHits).toBe(1);
    expect(bShort.totalHits).toBe(1);
  });

  it('counts timeToExpire down in seconds and starts a new window after ttl', async () => {
    const key = uniqueKey();

    const first = await sut.increment(key, 2_000, 10, 2_000, 'default');
    await sleep(1_100);
    const later = await sut.increment(key, 2_000, 10, 2_000, 'default');
    await sleep(1_000);
    const next = await sut.increment(key, 2_000, 10, 2_000, 'default');

    expect([first.timeToExpire, first.totalHits]).toEqual([2, 1]);
    expect([later.timeToExpire, later.totalHits]).toEqual([1, 2]);
    // The first hit has expired; the second is still live for ~100 ms.
    expect([next.timeToExpire, next.totalHits]).toEqual([2, 2]);
  });

  it('blocks over the limit for blockDuration, reporting the seconds left', async () => {
    const key = uniqueKey();
    const call = () => sut.increment(key, 1_000, 2, 3_000, 'default');
    await call();
    await call();

    const blocked = await call();
    await sleep(1_100);
    const stillBlocked = await call();

    expect(blocked).toEqual({ totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 3 });
    expect(stillBlocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
  });

  it.each(scenarios)('behaves as the built-in storage: $name', async ({ ttl, limit, blockDuration, steps }) => {
    const builtIn = new ThrottlerStorageService();
    const key = uniqueKey();
    const ours: ThrottlerStorageRecord[] = [];
    const theirs: ThrottlerStorageRecord[] = [];
    const expected: Array<[number, boolean]> = [];
    try {
      for (const step of steps) {
        if (!Array.isArray(step)) {
          await sleep(step.wait);
          continue;
        }
        expected.push(step);
        theirs.push(await builtIn.increment(key, ttl, limit, blockDuration, 'default'));
        ours.push(await sut.increment(key, ttl, limit, blockDuration, 'default'));
      }
    } finally {
      builtIn.onApplicationShutdown();
    }

    expect(theirs.map((record) => [record.totalHits, record.isBlocked])).toEqual(expected);
    expect(ours.map((record) => [record.totalHits, record.isBlocked])).toEqual(expected);
    ours.forEach((record, i) => {
      const reference = theirs[i] as ThrottlerStorageRecord;
      expect(Math.abs(record.timeToExpire - reference.timeToExpire)).toBeLessThanOrEqual(1);
      // The built-in reports a meaningless negative number when not blocked; ours reports 0.
      if (reference.isBlocked)
        expect(Math.abs(record.timeToBlockExpire - reference.timeToBlockExpire)).toBeLessThanOrEqual(1);
      else expect(record.timeToBlockExpire).toBe(0);
    });
  });

  it('shares counts between instances on the same prefix', async () => {
    const other = await storageModule({ REDIS_URL: TEST_REDIS_URL, CACHE_KEY_PREFIX: prefix });
    try {
      const secondInstance = other.get(RedisThrottlerStorage);
      const key = uniqueKey();

      await sut.increment(key, 2_000, 3, 2_000, 'default');
      await secondInstance.increment(key, 2_000, 3, 2_000, 'default');
      await sut.increment(key, 2_000, 3, 2_000, 'default');
      const fourth = await secondInstance.increment(key, 2_000, 3, 2_000, 'default');
      const fifth = await sut.increment(key, 2_000, 3, 2_000, 'default');

      expect(fourth).toMatchObject({ totalHits: 4, isBlocked: true });
      expect(fifth).toMatchObject({ totalHits: 4, isBlocked: true });
    } finally {
      await other.close();
    }
  });

  it('counts concurrent increments exactly', async () => {
    const key = uniqueKey();

    const records = await Promise.all(
      Array.from({ length: 50 }, () => sut.increment(key, 2_000, 1_000, 2_000, 'default')),
    );

    expect(records.map((record) => record.totalHits).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    await withRawRedis(async (raw) => {
      expect(await raw.zCard(`${sut.key('default', key)}:hits`)).toBe(50);
    });
  });

  it('stores under <prefix>:throttle:<name>:<key>, expiring with the window or the block', async () => {
    const [windowed, blocked] = [uniqueKey(), uniqueKey()];
    await sut.increment(windowed, 1_000, 5, 5_000, 'default');
    for (let i = 0; i < 2; i++) await sut.increment(blocked, 1_000, 1, 5_000, 'auth');

    await withRawRedis(async (raw) => {
      const stateKey = `${prefix}:throttle:default:${windowed}`;
      expect(sut.key('default', windowed)).toBe(stateKey);
      expect(await raw.keys(`${prefix}:throttle:*`)).toEqual(
        expect.arrayContaining([stateKey, `${stateKey}:hits`, `${prefix}:throttle:auth:${blocked}`]),
      );
      for (const key of [stateKey, `${stateKey}:hits`]) {
        const ttl = await raw.pTTL(key);
        expect(ttl).toBeGreaterThan(500);
        expect(ttl).toBeLessThanOrEqual(1_000);
      }
      // A block outlives the window: the record stays for blockDuration.
      const blockTtl = await raw.pTTL(`${prefix}:throttle:auth:${blocked}`);
      expect(blockTtl).toBeGreaterThan(4_500);
      expect(blockTtl).toBeLessThanOrEqual(5_000);
    });
    await sleep(1_100);
    await withRawRedis(async (raw) => {
      expect(
        await raw.exists([`${prefix}:throttle:default:${windowed}`, `${prefix}:throttle:default:${windowed}:hits`]),
      ).toBe(0);
    });
  });

  it('reloads its script when Redis has forgotten it (NOSCRIPT)', async () => {
    const key = uniqueKey();
    await sut.increment(key, 2_000, 10, 2_000, 'default');
    await withRawRedis((raw) => raw.scriptFlush());
    const warn = vi.spyOn(Logger.prototype, 'warn');

    const record = await sut.increment(key, 2_000, 10, 2_000, 'default');

    expect(record.totalHits).toBe(2);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});
