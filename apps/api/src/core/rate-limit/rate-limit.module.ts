import { Module, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { createThrottlerStorage, RedisConnection } from '@app/redis';
import { AppConfig } from '@app/config';
import { normalizeEmail } from '@app/common';
import { hashApiKey } from '../../iam/api-keys/api-key-format.js';
import { presentedApiKeyToCount } from '../../iam/api-keys/presented-api-key.js';
import { clientBucketOf } from './client-bucket.js';
import {
  RATE_LIMIT_WINDOW_SECONDS,
  STRICT_RATE_LIMIT_KEY,
  type StrictRateLimitOptions,
} from './rate-limit.decorator.js';
import { RateLimitGuard } from './rate-limit.guard.js';

const WINDOW_MS = RATE_LIMIT_WINDOW_SECONDS * 1000;

function strictOptions(context: ExecutionContext): Required<StrictRateLimitOptions> | undefined {
  return Reflect.getMetadata(STRICT_RATE_LIMIT_KEY, context.getHandler()) as
    Required<StrictRateLimitOptions> | undefined;
}

function isStrict(context: ExecutionContext): boolean {
  return strictOptions(context) !== undefined;
}

/** The normalised email of a credential request, the "account" the strict limit also counts per. */
function accountOf(context: ExecutionContext): string | undefined {
  if (strictOptions(context)?.perAccount !== true) return undefined;
  const body = context.switchToHttp().getRequest<FastifyRequest>().body as { email?: unknown } | undefined;
  // The form sign-in looks the account up by: spellings of one address (case, full-width) count together.
  return typeof body?.email === 'string' && body.email.length <= 320 ? normalizeEmail(body.email) : undefined;
}

/** The per-key bucket of a request presenting an API key: the key's SHA-256, never the key itself. */
function apiKeyBucketOf(context: ExecutionContext): string | undefined {
  const key = presentedApiKeyToCount(context.switchToHttp().getRequest<FastifyRequest>().headers);
  return key === undefined || key === '' ? undefined : hashApiKey(key);
}

/**
 * Rate limits, global: a general per-IP limit on every route, and a strict one on credential
 * routes (`@StrictRateLimit()`), per IP and (except on login) per account, and one per API key
 * (`API_KEY_RATE_LIMIT_PER_MINUTE`, all routes together) on requests that present a key, besides
 * the per-IP one (so made-up keys can't buy a client more requests). An IPv6 client is
 * counted by its /64 ({@link clientBucketOf}). Runs before
 * authentication. Counts live in Redis when REDIS_URL is set (shared by all instances; in memory
 * per instance otherwise). Login's per-account protection is auth's `LoginLockout`, which counts
 * failed passwords only and spares devices that signed in before.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection) => ({
        // Counted in Redis when it is configured, so limits hold across instances: the general
        // limit in batches from each instance's memory, the strict ones call by call.
        storage: createThrottlerStorage(redis, config, { localFirst: ['default'] }),
        // Per client: an IPv6 client by its /64, which it can fill with addresses of its own.
        getTracker: (req) => clientBucketOf((req as FastifyRequest).ip),
        throttlers: [
          { name: 'default', ttl: WINDOW_MS, limit: config.rateLimit.perMinute },
          {
            name: 'strict-ip',
            ttl: WINDOW_MS,
            limit: config.rateLimit.authPerMinute,
            setHeaders: false,
            skipIf: (context) => !isStrict(context),
          },
          {
            name: 'strict-account',
            ttl: WINDOW_MS,
            limit: config.rateLimit.authPerMinute,
            setHeaders: false,
            skipIf: (context) => accountOf(context) === undefined,
            getTracker: (_req, context) => `account:${accountOf(context)}`,
          },
          {
            name: 'api-key',
            ttl: WINDOW_MS,
            limit: config.apiKeys.perMinute,
            setHeaders: false,
            skipIf: (context) => apiKeyBucketOf(context) === undefined,
            getTracker: (_req, context) => `api-key:${apiKeyBucketOf(context)}`,
            // One bucket per key across every route (the built-in key names the route too).
            generateKey: (_context, tracker, name) => `${name}:${tracker}`,
          },
        ],
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}
