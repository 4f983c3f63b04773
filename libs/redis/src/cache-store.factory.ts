import { KeyvAdapter } from 'cache-manager';
import { redisInsStore } from 'cache-manager-redis-yet';
import { Keyv } from 'keyv';
import { CacheableMemory } from 'cacheable';
import type { RedisClientType } from 'redis';

/** Upper bound of entries kept by the in-memory store, so it cannot grow without limit. */
const MEMORY_STORE_MAX_ENTRIES = 10_000;

/**
 * The single place where the cache store is chosen. To move to another Redis store (e.g.
 * `@keyv/redis`), change this function only; everything else sees a Keyv instance.
 */
export function createCacheStore(redis: RedisClientType | undefined): Keyv {
  if (redis) {
    // cache-manager-redis-yet is a cache-manager v5 store; KeyvAdapter makes it a Keyv store.
    return new Keyv({ store: new KeyvAdapter(redisInsStore(redis)), namespace: '' });
  }
  // Bounded LRU with per-entry TTL, the in-memory store @nestjs/cache-manager recommends.
  return new Keyv({ store: new CacheableMemory({ lruSize: MEMORY_STORE_MAX_ENTRIES }), namespace: '' });
}
