import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';
import { OperationTimeoutError, withTimeout } from '@app/common';
import { RedisScript } from './redis-script.js';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';
import { ThrottledWarning } from './throttled-warning.js';

/**
 * One `increment` of @nestjs/throttler's built-in `ThrottlerStorageService` (6.7), replayed in Redis
 * so that it is atomic and shared by every instance. Times come from Redis's clock, so instances
 * with skewed clocks still agree.
 *
 * KEYS[1] hash  {expiresAt, blockExpiresAt, blocked, seq}: the reporting window and the block.
 * KEYS[2] zset  one member per counted hit, scored by the epoch ms at which that hit expires.
 * ARGV    ttl (ms), limit, blockDuration (ms), hits (how many calls this one counts: 1, or a batch
 *         that an instance counted in its memory; a batch counts no more hits than the outcome needs).
 * Returns {totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s)}.
 *
 * As in the built-in storage: every hit expires on its own `ttl` after it was counted (a sliding
 * window), while `timeToExpire` reports a fixed window that restarts when it has run out. A blocked
 * key counts no new hits; its `totalHits` is its live hits, which expire during a long block. The
 * block starts on the first hit over `limit`, lasts `blockDuration`, and the first call after it
 * clears the counted hits and counts itself. With `blockDuration <= 0` nothing is blocked for
 * longer than the window: a call is refused while `limit` hits are live.
 */
const INCREMENT_SCRIPT = new RedisScript(`
local stateKey, hitsKey = KEYS[1], KEYS[2]
local ttl, limit, blockDuration = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local hits = tonumber(ARGV[4]) or 1
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function seconds(ms) return math.ceil(ms / 1000) end

redis.call('ZREMRANGEBYSCORE', hitsKey, '-inf', now)
local totalHits = redis.call('ZCARD', hitsKey)
local state = redis.call('HMGET', stateKey, 'expiresAt', 'blockExpiresAt', 'blocked', 'seq')
local expiresAt = tonumber(state[1])
local blockExpiresAt = tonumber(state[2]) or 0
local blocked = state[3] == '1'
local seq = tonumber(state[4]) or 0

if expiresAt == nil or seconds(expiresAt - now) <= 0 then expiresAt = now + ttl end
local timeToExpire = seconds(expiresAt - now)

local function hit(n)
  for _ = 1, n do
    seq = seq + 1
    redis.call('ZADD', hitsKey, now + ttl, seq)
  end
  totalHits = totalHits + n
end

local isBlocked, timeToBlockExpire
if blockDuration <= 0 then
  isBlocked = totalHits >= limit
  if isBlocked then
    local oldest = redis.call('ZRANGE', hitsKey, 0, 0, 'WITHSCORES')
    timeToBlockExpire = oldest[2] and seconds(tonumber(oldest[2]) - now) or timeToExpire
    totalHits = totalHits + 1
  else
    hit(math.min(hits, limit - totalHits))
    timeToBlockExpire = 0
  end
else
  if not blocked then hit(math.min(hits, math.max(1, limit + 1 - totalHits))) end
  if totalHits > limit and not blocked then
    blocked = true
    blockExpiresAt = now + blockDuration
  end
  timeToBlockExpire = seconds(blockExpiresAt - now)
  if blocked and timeToBlockExpire <= 0 then
    blocked = false
    redis.call('DEL', hitsKey)
    totalHits = 0
    hit(math.min(hits, limit + 1))
    if totalHits > limit then
      blocked = true
      blockExpiresAt = now + blockDuration
      timeToBlockExpire = seconds(blockDuration)
    end
  end
  isBlocked = blocked
  if not isBlocked then timeToBlockExpire = 0 end
end

redis.call('HSET', stateKey, 'expiresAt', expiresAt, 'blockExpiresAt', blockExpiresAt, 'blocked', blocked and 1 or 0, 'seq', seq)
-- Keep the keys exactly as long as anything in them still matters.
local keepUntil = expiresAt
if blocked and blockExpiresAt > keepUntil then keepUntil = blockExpiresAt end
local newest = redis.call('ZRANGE', hitsKey, -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > keepUntil then keepUntil = tonumber(newest[2]) end
redis.call('PEXPIREAT', stateKey, keepUntil)
redis.call('PEXPIREAT', hitsKey, keepUntil)

return {totalHits, timeToExpire, isBlocked and 1 or 0, timeToBlockExpire}
`);

/** What `increment` resolves to (the package does not export its `ThrottlerStorageRecord` type). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler storage in Redis, so a limit holds across every instance of the app. Same
 * semantics as the built-in in-memory `ThrottlerStorageService` (ttl and blockDuration in
 * milliseconds, returned times in whole seconds, rounded up), applied atomically by one Lua script
 * per call. One difference: `timeToBlockExpire` is 0 when the key is not blocked (the built-in
 * returns a meaningless negative number then; the guard only reads it for a blocked key).
 *
 * Rate limiting must never take the API down: when Redis is not configured, not connected, failing
 * or slower than `CACHE_OPERATION_TIMEOUT_MS`, the call is counted by an in-process
 * `ThrottlerStorageService` instead (limits then hold per instance) and a warning is logged at most
 * every 10 s. `increment` never throws.
 *
 * Keys: `<CACHE_KEY_PREFIX>:throttle:<throttlerName>:<key>` (a hash) and `...:<key>:hits` (a sorted
 * set), both expiring when nothing in them matters any more.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly fallback = new ThrottlerStorageService();
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly fallbackWarning = new ThrottledWarning(this.logger);
  private degraded = false;

  constructor(
    private readonly redis: RedisConnection,
    config: AppConfig,
  ) {
    this.prefix = `${config.cache.keyPrefix}:throttle`;
    this.timeoutMs = config.cache.operationTimeoutMs;
  }

  /** The Redis key of one throttler's record for one (already hashed) tracker key. */
  key(throttlerName: string, key: string): string {
    return `${this.prefix}:${throttlerName}:${key}`;
  }

  /** `hits`: how many calls this counts at once (a batch a LocalFirstThrottlerStorage counted). */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    hits = 1,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client;
    if (!client) return this.fallBack(key, ttl, limit, blockDuration, throttlerName, hits, 'REDIS_URL is not set');
    // Down: don't even try (commands would fail at once anyway, without an offline queue).
    if (!client.isReady)
      return this.fallBack(key, ttl, limit, blockDuration, throttlerName, hits, 'Redis is not connected');
    const stateKey = this.key(throttlerName, key);
    const options = {
      keys: [stateKey, `${stateKey}:hits`],
      arguments: [String(ttl), String(limit), String(blockDuration), String(hits)],
    };
    try {
      const reply = await withTimeout(INCREMENT_SCRIPT.run(client, options), this.timeoutMs);
      const record = toRecord(reply);
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Rate limits are shared through Redis again');
      }
      return record;
    } catch (error) {
      const reason =
        error instanceof OperationTimeoutError ? `Redis did not answer within ${this.timeoutMs} ms` : String(error);
      return this.fallBack(key, ttl, limit, blockDuration, throttlerName, hits, reason);
    }
  }

  onApplicationShutdown(): void {
    this.fallback.onApplicationShutdown();
  }

  private fallBack(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    hits: number,
    reason: string,
  ): Promise<ThrottlerStorageRecord> {
    this.degraded = true;
    this.fallbackWarning.warn(`Rate limiting falls back to in-process counters (limits hold per instance): ${reason}`);
    let record = this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    for (let counted = 1; counted < hits; counted++)
      record = record.then(() => this.fallback.increment(key, ttl, limit, blockDuration, throttlerName));
    return record;
  }
}

function toRecord(reply: unknown): ThrottlerStorageRecord {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((value) => typeof value === 'number')) {
    throw new Error(`Unexpected reply from the rate limit script: ${JSON.stringify(reply)}`);
  }
  const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = reply;
  return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
}

/**
 * The storage for `ThrottlerModule.forRootAsync`: Redis-backed when `REDIS_URL` is configured
 * (limits shared by every instance), otherwise the built-in in-memory storage. The throttlers named
 * in `localFirst` are counted in process and added to Redis every `RATE_LIMIT_SYNC_MS`
 * ({@link LocalFirstThrottlerStorage}); the others, call by call.
 */
export function createThrottlerStorage(
  redis: RedisConnection,
  config: AppConfig,
  options: { localFirst?: string[] } = {},
): ThrottlerStorage {
  if (config.cache.redisUrl === undefined) return new ThrottlerStorageService();
  const exact = new RedisThrottlerStorage(redis, config);
  const localFirst = new Set(options.localFirst ?? []);
  if (localFirst.size === 0 || config.rateLimit.syncIntervalMs === 0) return exact;
  return new LocalFirstThrottlerStorage(exact, localFirst, config.rateLimit.syncIntervalMs);
}
