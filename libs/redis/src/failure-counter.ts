import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';
import { ThrottledWarning } from './throttled-warning.js';

export { RateLimiterRes };

/** What callers use of a counter: count one event, or take one back. */
export type FailureCounter = Pick<RateLimiterMemory, 'consume' | 'reward'>;

export interface FailureCounterOptions {
  /** Names the counter in its keys: `<CACHE_KEY_PREFIX>:failures:<name>:<key>`. */
  name: string;
  /** Events allowed per window; `consume` rejects past it. */
  limit: number;
  /** Seconds an event counts for, from the first one of the window. */
  windowSeconds: number;
}

/** The in-process counter that takes over while Redis is down or slow, saying so in the log. */
class FallbackCounter extends RateLimiterMemory {
  private readonly warning = new ThrottledWarning(new Logger('FailureCounter'));

  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly name: string,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> {
    this.warning.warn(
      `The ${this.name} counter falls back to in-process counts (limits hold per instance): Redis is unavailable or slow`,
    );
    return super.consume(...args);
  }
}

/**
 * A counter of events per key over a fixed window (rate-limiter-flexible): `consume` adds one and
 * rejects with a `RateLimiterRes` (its `msBeforeNext` says when the window ends) past `limit`;
 * `reward` takes one back. In Redis when `REDIS_URL` is set, one atomic Lua script per call, so
 * every instance shares the count; the key expires with its window.
 *
 * Like the throttler storage, it never takes the API down: when Redis is not connected, failing or
 * slower than `CACHE_OPERATION_TIMEOUT_MS`, the call is counted in process memory instead (limits
 * then hold per instance) and a warning is logged at most every 10 s. Without `REDIS_URL` it
 * counts in memory only.
 */
export function createFailureCounter(
  redis: RedisConnection,
  config: AppConfig,
  options: FailureCounterOptions,
): FailureCounter {
  const limits = {
    keyPrefix: `${config.cache.keyPrefix}:failures:${options.name}`,
    points: options.limit,
    duration: options.windowSeconds,
  };
  if (config.cache.redisUrl === undefined || redis.client === undefined) return new RateLimiterMemory(limits);
  return new RLWrapperTimeouts({
    limiter: new RateLimiterRedis({
      ...limits,
      storeClient: redis.client,
      useRedisPackage: true,
      // Down: fall back at once (without an offline queue the command would fail anyway).
      rejectIfRedisNotReady: true,
    }),
    timeoutMs: config.cache.operationTimeoutMs,
    insuranceLimiter: new FallbackCounter(limits, options.name),
  });
}
