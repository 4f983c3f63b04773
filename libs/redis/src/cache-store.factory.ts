import KeyvRedis, { type RedisClientConnectionType } from '@keyv/redis';
import { Keyv, type DeserializedData } from 'keyv';
import { CacheableMemory } from 'cacheable';
import type { RedisClient } from './redis-connection.js';

/** Upper bound of entries kept by the in-memory store, so it cannot grow without limit. */
const MEMORY_STORE_MAX_ENTRIES = 10_000;

/**
 * The single place where the cache store is chosen; everything else sees a Keyv instance.
 * With Redis: @keyv/redis on the process's one connection, so cache reads share its first tier.
 */
export function createCacheStore(redis: RedisClient | undefined): Keyv {
  if (redis) {
    // Keys exactly as AppCache spells them (no namespace of the store's own); a failed command
    // throws, so AppCache tells an unavailable store from a miss.
    // @keyv/redis types its client for RESP2 replies; it only sends GET/SET/UNLINK/MGET/SCAN,
    // whose replies RESP3 leaves unchanged.
    const client = redis as unknown as RedisClientConnectionType;
    const store = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
    // The connection is RedisConnection's, closed by it after everything else at shutdown.
    // @nestjs/cache-manager disconnects its stores in onModuleDestroy, the first shutdown step,
    // which would close it under the rate limit's last sync and the revocation markers.
    store.disconnect = async () => undefined;
    // Plain JSON: what AppCache stores is JSON already. Keyv's default (de)serializer also encodes
    // Buffers and escapes strings in a reviver that ran on every value read (7% of a cached read's CPU).
    return new Keyv({
      store,
      namespace: '',
      throwOnErrors: true,
      serialize: (data) => JSON.stringify(data),
      deserialize: <Value>(data: string) => JSON.parse(data) as DeserializedData<Value>,
    });
  }
  // Bounded LRU with per-entry TTL, the in-memory store @nestjs/cache-manager recommends.
  return new Keyv({ store: new CacheableMemory({ lruSize: MEMORY_STORE_MAX_ENTRIES }), namespace: '' });
}
