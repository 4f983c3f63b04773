import { randomBytes } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfigModule, loadConfig } from '@app/config';
import { AppCacheModule } from '../../libs/redis/src/cache.module.js';

/**
 * One "app instance" for the cache lib's integration tests: the config (a fresh key prefix unless
 * `env` sets one), the cache module (which connects Redis when `REDIS_URL` is set) and `providers`.
 */
export async function startCacheModule(
  env: Record<string, string>,
  providers: Provider[] = [],
): Promise<TestingModule> {
  const config = loadConfig({ NODE_ENV: 'test', CACHE_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}`, ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config), AppCacheModule],
    providers,
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}
