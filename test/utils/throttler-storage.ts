/** Shared by the RedisThrottlerStorage integration specs (libs/redis). */
import { randomBytes } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { createClient } from '@redis/client';
import { RedisThrottlerStorage } from '../../libs/redis/src/redis-throttler.storage.js';
import { TEST_REDIS_URL } from '../setup/test-env.js';
import { startCacheModule } from './cache-module.js';

export const redisAvailable = process.env.TEST_REDIS_MODE === 'redis';
export const FALLBACK_WARNING = 'Rate limiting falls back to in-process counters';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const uniqueKey = () => randomBytes(8).toString('hex');
export const newPrefix = () => `test:${randomBytes(4).toString('hex')}`;

/** One "app instance": the config, the cache module (which connects Redis) and the storage. */
export function storageModule(env: Record<string, string>): Promise<TestingModule> {
  return startCacheModule({ CACHE_KEY_PREFIX: newPrefix(), ...env }, [RedisThrottlerStorage]);
}

const rawClient = () => createClient({ url: TEST_REDIS_URL });

export async function withRawRedis<T>(fn: (raw: ReturnType<typeof rawClient>) => Promise<T>): Promise<T> {
  const raw = rawClient();
  await raw.connect();
  try {
    return await fn(raw);
  } finally {
    await raw.close();
  }
}
