import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { createCacheStore } from './cache-store.factory.js';
import type { RedisClient } from './redis-connection.js';

describe('createCacheStore on Redis (real Redis)', () => {
  let client: RedisClient;

  beforeAll(async () => {
    client = createClient({ url: TEST_REDIS_URL, RESP: 3 }) as unknown as RedisClient;
    await client.connect();
  });

  afterAll(async () => {
    if (client.isOpen) await client.close();
  });

  it("leaves the shared connection open when the cache disconnects its store (@nestjs/cache-manager's onModuleDestroy)", async () => {
    const cache = createCacheStore(client);

    await cache.disconnect();

    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe('PONG');
  });
});
