import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createClient } from '@redis/client';
import { loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { dropCachedKeys } from './drop-cached-keys.js';

const redisAvailable = process.env.TEST_REDIS_MODE === 'redis';
const configWith = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

describe(dropCachedKeys.name, () => {
  // RedisConnection logs its (expected) connection failures; the CLI shows them, the tests need not.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('does nothing without REDIS_URL (each instance caches in its own memory)', async () => {
    await expect(dropCachedKeys(configWith({}), ['k'])).resolves.toBe('no-redis');
  });

  it('says so when Redis cannot be reached, without throwing', async () => {
    await expect(dropCachedKeys(configWith({ REDIS_URL: 'redis://127.0.0.1:1' }), ['k'])).resolves.toBe('unavailable');
  });

  (redisAvailable ? it : it.skip)('deletes the keys in Redis, and only those', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}`;
    const raw = createClient({ url: TEST_REDIS_URL });
    await raw.connect();
    try {
      await raw.mSet([`${prefix}:a`, '1', `${prefix}:b`, '2', `${prefix}:c`, '3']);

      const result = await dropCachedKeys(configWith({ REDIS_URL: TEST_REDIS_URL }), [`${prefix}:a`, `${prefix}:b`]);

      expect(result).toBe('dropped');
      expect(await raw.exists([`${prefix}:a`, `${prefix}:b`, `${prefix}:c`])).toBe(1);
    } finally {
      await raw.del([`${prefix}:a`, `${prefix}:b`, `${prefix}:c`]);
      await raw.close();
    }
  });
});
