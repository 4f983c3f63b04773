import type { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';

/** What `dropCachedKeys` did: no Redis configured, keys deleted, or Redis unreachable. */
export type DropCachedKeysResult = 'no-redis' | 'dropped' | 'unavailable';

/**
 * Deletes cache entries of every running instance from outside the app (a CLI such as the seed),
 * through the shared Redis of `config`. Without REDIS_URL each instance caches in its own memory,
 * which only its TTLs reach.
 */
export async function dropCachedKeys(config: Pick<AppConfig, 'cache'>, keys: string[]): Promise<DropCachedKeysResult> {
  if (config.cache.redisUrl === undefined) return 'no-redis';
  const redis = new RedisConnection(config as AppConfig);
  try {
    await redis.connect();
    if (!redis.client || !redis.isReady) return 'unavailable';
    await redis.client.del(keys);
    return 'dropped';
  } catch {
    return 'unavailable';
  } finally {
    await redis.onApplicationShutdown();
  }
}
