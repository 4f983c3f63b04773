import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestingModule } from '@nestjs/testing';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { newPrefix, redisAvailable, sleep, storageModule, uniqueKey } from '../../../test/utils/throttler-storage.js';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const SYNC_MS = 200;
const LIMIT = 10;
const WINDOW_MS = 60_000;

/**
 * Two instances sharing one Redis prefix, each counting the general limit in its memory and adding
 * it to Redis every {@link SYNC_MS}: the bound the README documents, on real Redis.
 */
describe.skipIf(!redisAvailable)(`${LocalFirstThrottlerStorage.name} on Redis, two instances`, () => {
  let modules: TestingModule[];
  let a: LocalFirstThrottlerStorage;
  let b: LocalFirstThrottlerStorage;

  beforeEach(async () => {
    const prefix = newPrefix();
    modules = await Promise.all(
      [1, 2].map(() => storageModule({ REDIS_URL: TEST_REDIS_URL, CACHE_KEY_PREFIX: prefix })),
    );
    [a, b] = modules.map(
      (moduleRef) =>
        new LocalFirstThrottlerStorage(moduleRef.get(RedisThrottlerStorage), new Set(['default']), SYNC_MS),
    ) as [LocalFirstThrottlerStorage, LocalFirstThrottlerStorage];
  });

  afterEach(async () => {
    await Promise.all([a, b].map((storage) => storage.beforeApplicationShutdown()));
    await Promise.all(modules.map((moduleRef) => moduleRef.close()));
  });

  /** How many of `calls` calls of `client` one instance admits. */
  async function admitted(storage: LocalFirstThrottlerStorage, client: string, calls: number): Promise<number> {
    let count = 0;
    for (let i = 0; i < calls; i++) {
      if (!(await storage.increment(client, WINDOW_MS, LIMIT, WINDOW_MS, 'default')).isBlocked) count++;
    }
    return count;
  }

  it('admits exactly the limit on one instance', async () => {
    expect(await admitted(a, uniqueKey(), LIMIT + 5)).toBe(LIMIT);
  });

  it('admits, across instances within one interval, at most the limit plus what the other instance admitted meanwhile', async () => {
    const client = uniqueKey();

    const onA = await admitted(a, client, LIMIT);
    const onB = await admitted(b, client, LIMIT);

    expect(onA).toBe(LIMIT);
    // b knew of a's first call only (the others were still in a's memory): at most one interval's worth over.
    expect(onA + onB).toBeGreaterThan(LIMIT);
    expect(onA + onB).toBeLessThanOrEqual(LIMIT + LIMIT);
  });

  it('refuses the client on every instance once each has added its count to Redis', async () => {
    const client = uniqueKey();
    await admitted(a, client, LIMIT);
    await admitted(b, client, 3);

    await sleep(SYNC_MS * 2 + 50);

    expect(await admitted(a, client, 1)).toBe(0);
    expect(await admitted(b, client, 1)).toBe(0);
  });

  it('counts a whole batch that arrives once a block has ended (the exact script, on Redis)', async () => {
    const exact = modules[0]!.get(RedisThrottlerStorage);
    const client = uniqueKey();
    const BLOCK_MS = 1_000;

    expect(await exact.increment(client, WINDOW_MS, LIMIT, BLOCK_MS, 'default', LIMIT + 1)).toMatchObject({
      isBlocked: true,
    });
    await sleep(BLOCK_MS + 100);
    const batch = await exact.increment(client, WINDOW_MS, LIMIT, BLOCK_MS, 'default', LIMIT);
    const over = await exact.increment(client, WINDOW_MS, LIMIT, BLOCK_MS, 'default', 1);

    expect(batch).toMatchObject({ totalHits: LIMIT, isBlocked: false });
    expect(over).toMatchObject({ isBlocked: true });
  });

  it('shares the count: after an interval, an instance admits only what the limit leaves', async () => {
    const client = uniqueKey();
    await admitted(a, client, 6);

    await sleep(SYNC_MS * 2 + 50);

    expect(await admitted(b, client, LIMIT)).toBe(LIMIT - 6);
  });
});
