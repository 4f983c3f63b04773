import { Global, Module } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';
import { createCacheStore } from './cache-store.factory.js';
import { AppCache } from './app-cache.service.js';

/** Owns the process's single Redis connection; import it wherever Redis is needed. */
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class RedisModule {}

@Global()
@Module({
  imports: [
    RedisModule,
    CacheModule.registerAsync({
      imports: [RedisModule],
      inject: [RedisConnection, AppConfig],
      useFactory: async (redis: RedisConnection, config: AppConfig) => {
        await redis.connect();
        return { stores: [createCacheStore(redis.client)], ttl: config.cache.defaultTtlSeconds * 1000 };
      },
    }),
  ],
  providers: [AppCache],
  exports: [RedisModule, AppCache],
})
export class AppCacheModule {}
