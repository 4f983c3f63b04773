import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createClient } from '@redis/client';
import { AppConfigModule, loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { AppCacheModule } from './cache.module.js';
import { AppCache, MAX_UNDELETED_KEYS, STALE_REFILL_WINDOW_MS } from './app-cache.service.js';
import { RedisConnection } from './redis-connection.js';
import { FlakyProxy, eventually } from '../../../test/utils/flaky-proxy.js';

const redisAvailable = process.env.TEST_REDIS_MODE === 'redis';

async function cacheModule(env: Record<string, string>): Promise<TestingModule> {
  const config = loadConfig({ NODE_ENV: 'test', CACHE_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}`, ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config), AppCacheModule],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

const stores: Array<[string, Record<string, string>]> = [
  ['memory', {}],
  ...(redisAvailable ? ([['redis', { REDIS_URL: TEST_REDIS_URL }]] as Array<[string, Record<string, string>]>) : []),
];

describe.each(stores)('AppCache on the %s store', (store, env) => {
  let moduleRef: TestingModule;
  let sut: AppCache;

  beforeAll(async () => {
    moduleRef = await cacheModule(env);
    sut = moduleRef.get(AppCache);
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('namespaces keys as <prefix>:<module>:<parts>', () => {
    const prefix = moduleRef.get(RedisConnection) && sut.key('users', 'me', 42).split(':users:')[0];

    expect(sut.key('users', 'me', 42)).toBe(`${prefix}:users:me:42`);
    expect(prefix).toMatch(/^test:[0-9a-f]{8}$/);
  });

  it('misses, then hits after a set', async () => {
    const key = sut.key('spec', 'hit-miss');

    await expect(sut.get(key)).resolves.toBeUndefined();
    await sut.set(key, { name: 'Ada', tags: ['x'] });
    await expect(sut.get(key)).resolves.toEqual({ name: 'Ada', tags: ['x'] });
  });

  it('does not keep a value a concurrent read-through loaded before an invalidation', async () => {
    const key = sut.key('spec', 'stale-refill');
    await sut.set(key, 'old');
    await sut.del(key);
    let release: () => void = () => undefined;
    const loaderStarted = new Promise<void>((started) => {
      // A reader misses and loads the old row from the database...
      void sut.getOrSet(key, 60, async () => {
        started();
        await new Promise<void>((resume) => (release = resume));
        return 'old';
      });
    });
    await loaderStarted;
    // ...the writer changes the row and invalidates; then the reader stores what it loaded.
    await sut.del(key);
    release();
    await eventually(async () => (await sut.get(key)) === 'old');

    await new Promise((done) => setTimeout(done, STALE_REFILL_WINDOW_MS + 200));

    await expect(sut.get(key)).resolves.toBeUndefined();
  });

  it('tells a hit from a miss in read()', async () => {
    const key = sut.key('spec', 'read');

    await expect(sut.read(key)).resolves.toEqual({ status: 'miss' });
    await expect(sut.set(key, 0)).resolves.toBe(true);
    await expect(sut.read(key)).resolves.toEqual({ status: 'hit', value: 0 });
  });

  it('loads once and then serves from the cache (getOrSet)', async () => {
    const key = sut.key('spec', 'read-through');
    const loader = vi.fn(async () => ({ id: 7 }));

    await expect(sut.getOrSet(key, 60, loader)).resolves.toEqual({ id: 7 });
    await expect(sut.getOrSet(key, 60, loader)).resolves.toEqual({ id: 7 });
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('loads again after explicit invalidation', async () => {
    const key = sut.key('spec', 'invalidate');
    let version = 0;
    const loader = async () => ({ version: ++version });
    await sut.getOrSet(key, 60, loader);

    await sut.del(key);

    await expect(sut.getOrSet(key, 60, loader)).resolves.toEqual({ version: 2 });
  });

  it('caches null but not undefined', async () => {
    const nullLoader = vi.fn(async () => null);
    const undefinedLoader = vi.fn(async () => undefined);

    await sut.getOrSet(sut.key('spec', 'null'), 60, nullLoader);
    await sut.getOrSet(sut.key('spec', 'null'), 60, nullLoader);
    await sut.getOrSet(sut.key('spec', 'undef'), 60, undefinedLoader);
    await sut.getOrSet(sut.key('spec', 'undef'), 60, undefinedLoader);

    expect(nullLoader).toHaveBeenCalledTimes(1);
    expect(undefinedLoader).toHaveBeenCalledTimes(2);
  });

  it('expires entries after their TTL', async () => {
    const key = sut.key('spec', 'ttl');
    await sut.set(key, 'short-lived', 1);

    await new Promise((resolve) => setTimeout(resolve, 1_100));

    await expect(sut.get(key)).resolves.toBeUndefined();
  });

  it('reports its store in the readiness status', async () => {
    await expect(sut.status()).resolves.toEqual({ store, up: true });
  });

  if (store === 'redis') {
    it('stores under the namespaced key itself in Redis, with a TTL', async () => {
      const key = sut.key('spec', 'raw');
      await sut.set(key, { a: 1 }, 30);
      const raw = createClient({ url: TEST_REDIS_URL });
      await raw.connect();
      try {
        expect(await raw.exists(key)).toBe(1);
        const ttl = await raw.pTTL(key);
        expect(ttl).toBeGreaterThan(25_000);
        expect(ttl).toBeLessThanOrEqual(30_000);
      } finally {
        await raw.close();
      }
    });
  }
});

/** What the shared Redis itself holds under `key`, read on a connection of its own. */
async function rawGet(key: string): Promise<string | null> {
  const raw = createClient({ url: TEST_REDIS_URL });
  await raw.connect();
  try {
    return await raw.get(key);
  } finally {
    raw.destroy();
  }
}

describe('AppCache when Redis fails', () => {
  let moduleRef: TestingModule | undefined;
  let proxy: FlakyProxy | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await proxy?.stop();
    proxy = undefined;
  });

  /** An AppCache on the shared Redis through a proxy the test cuts: Redis keeps its data, as in a partition. */
  async function proxiedCache(): Promise<{ sut: AppCache; cut: () => Promise<void>; restore: () => Promise<void> }> {
    const through = new FlakyProxy(new URL(TEST_REDIS_URL));
    proxy = through;
    await through.start();
    moduleRef = await cacheModule({ REDIS_URL: `redis://127.0.0.1:${through.port}` });
    const sut = moduleRef.get(AppCache);
    return {
      sut,
      cut: async () => {
        await through.stop();
        await eventually(async () => !(await sut.status()).up);
      },
      restore: async () => {
        await through.start();
        await eventually(async () => (await sut.status()).up);
      },
    };
  }

  it('boots and serves from the loader when Redis is unreachable from the start', async () => {
    const started = Date.now();
    moduleRef = await cacheModule({ REDIS_URL: 'redis://127.0.0.1:1' });
    const sut = moduleRef.get(AppCache);

    await expect(sut.getOrSet(sut.key('spec', 'down'), 60, async () => 'from-db')).resolves.toBe('from-db');
    await expect(sut.status()).resolves.toEqual({ store: 'redis', up: false });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  if (redisAvailable) {
    it('degrades to the loader during an outage, logs it, and recovers when Redis is back', async () => {
      const { sut, cut, restore } = await proxiedCache();
      const [key, kept] = [sut.key('spec', 'outage'), sut.key('spec', 'kept')];
      await sut.set(key, 'cached');
      await sut.set(kept, 'kept');
      await expect(sut.get(key)).resolves.toBe('cached');

      const warn = vi.spyOn(Logger.prototype, 'warn');
      await cut();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('Redis unavailable, serving without cache'));
      warn.mockRestore();
      const loader = vi.fn(async () => 'from-db');
      await expect(sut.getOrSet(key, 60, loader)).resolves.toBe('from-db');
      await expect(sut.set(key, 'ignored')).resolves.toBe(false);
      await expect(sut.read(key)).resolves.toEqual({ status: 'unavailable' });
      await expect(sut.del(key)).resolves.toBeUndefined();
      expect(loader).toHaveBeenCalledTimes(1);

      await restore();
      // Redis kept what it held (a partition, not a restart): what was not invalidated is served again,
      // what was invalidated during the outage is deleted once Redis is back (the next test).
      await expect(sut.get(kept)).resolves.toBe('kept');
    }, 30_000);

    it('deletes, once Redis is back, what it invalidated during an outage, and never serves it meanwhile', async () => {
      const { sut, cut, restore } = await proxiedCache();
      const [stale, kept] = [sut.key('spec', 'stale'), sut.key('spec', 'kept')];
      await sut.set(stale, 'old');
      await sut.set(kept, 'kept');

      await cut();
      // The database changed what `stale` caches; Redis cannot be told, neither now nor at the second
      // deletion a moment later: the outage lasts longer than that.
      await sut.del(stale);
      await new Promise((resolve) => setTimeout(resolve, STALE_REFILL_WINDOW_MS + 500));

      await restore();
      // Redis still held the old value; the invalidation reaches it on reconnection.
      await eventually(async () => (await rawGet(stale)) === null);
      await expect(sut.read(stale)).resolves.toEqual({ status: 'miss' });
      await expect(sut.getOrSet(stale, 60, async () => 'new')).resolves.toBe('new');
      await expect(sut.get(stale)).resolves.toBe('new');
      await expect(sut.get(kept)).resolves.toBe('kept');
    }, 30_000);

    it(`bypasses the cache while over ${MAX_UNDELETED_KEYS} invalidations wait for Redis, and uses it again after them`, async () => {
      const { sut, cut, restore } = await proxiedCache();
      const kept = sut.key('spec', 'kept');
      await sut.set(kept, 'kept');

      await cut();
      const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await sut.del(...Array.from({ length: MAX_UNDELETED_KEYS + 1 }, (_, i) => sut.key('spec', 'flood', i)));
      expect(error).toHaveBeenCalledWith(expect.stringContaining('the cache is bypassed'));
      error.mockRestore();

      await restore();
      await eventually(async () => (await sut.read(kept)).status === 'hit', 45_000);
      await expect(sut.get(kept)).resolves.toBe('kept');
      expect(await rawGet(sut.key('spec', 'flood', MAX_UNDELETED_KEYS))).toBeNull();
    }, 90_000);
  }
});
