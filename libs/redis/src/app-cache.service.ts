import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';
import { OperationTimeoutError, withTimeout } from '@app/common';

/**
 * How long after an invalidation its keys are deleted a second time. A read-through that loaded
 * the old value from the database just before the write, and stores it just after the first
 * delete (on this instance or another), would otherwise serve it until its TTL; the second delete
 * bounds that to this window (for loaders faster than it).
 */
export const STALE_REFILL_WINDOW_MS = 1_000;

/**
 * The most keys whose deletion waits for Redis to come back. Past it the cache is bypassed
 * altogether (every read a miss to the loader, nothing stored) until they are deleted, so no
 * invalidation is ever forgotten.
 */
export const MAX_UNDELETED_KEYS = 100_000;
/** Keys per deletion of what an outage left undeleted, and the wait before a failed batch is tried again. */
const UNDELETED_BATCH_SIZE = 1_000;
const UNDELETED_RETRY_MS = 1_000;

/**
 * Values are stored wrapped, so a cached `null` ("we looked, there is nothing") is told apart
 * from a miss; stores and cache-manager treat bare null/undefined as absent.
 */
interface Entry<T> {
  v: T;
  /** When it expires (epoch ms): the first tier keeps it no longer. */
  e?: number;
}

/** A read that tells a miss from an unavailable store, for callers that must not guess. */
export type CacheRead<T> = { status: 'hit'; value: T } | { status: 'miss' } | { status: 'unavailable' };

type Attempt<T> = { ok: true; value: T } | { ok: false };

/** `<prefix>:<module>:<part>:<part>`: the one spelling of cache keys, for AppCache and tools outside the app. */
export function cacheKey(prefix: string, module: string, ...parts: Array<string | number>): string {
  return [prefix, module, ...parts].join(':');
}

/**
 * The cache API features use: namespaced keys, read-through `getOrSet`, explicit invalidation.
 * Every call degrades gracefully: a store failure or timeout is logged and behaves like a miss
 * (reads) or a no-op (writes); it never fails the request.
 */
@Injectable()
export class AppCache implements OnApplicationShutdown {
  private readonly logger = new Logger(AppCache.name);
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly defaultTtlSeconds: number;
  private readonly pendingDeletes = new Set<NodeJS.Timeout>();
  /**
   * Keys an invalidation could not delete (Redis down or timing out). Redis may still hold their old
   * value, or get it back (a network partition, a restart with persistence): until they are deleted
   * they read as unavailable and are not stored, and they are deleted as soon as Redis is ready again.
   */
  private readonly undeleted = new Map<string, number>();
  /** Counts the failed deletions, so a batch forgets a key only if no deletion of it failed since. */
  private failures = 0;
  private bypassing = false;
  private deleting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisConnection,
    config: AppConfig,
  ) {
    this.prefix = config.cache.keyPrefix;
    this.timeoutMs = config.cache.operationTimeoutMs;
    this.defaultTtlSeconds = config.cache.defaultTtlSeconds;
    redis.client?.on('ready', () => void this.deleteUndeleted());
  }

  /** `<prefix>:<module>:<part>:<part>`, e.g. `app:users:me:42`. */
  key(module: string, ...parts: Array<string | number>): string {
    return cacheKey(this.prefix, module, ...parts);
  }

  /** The cached value, or undefined on a miss (or when the store is unavailable). */
  async get<T>(key: string): Promise<T | undefined> {
    const read = await this.read<T>(key);
    return read.status === 'hit' ? read.value : undefined;
  }

  /**
   * Like `get`, but says whether the store answered, for security checks that must fail safe.
   * A value read from Redis before is answered from this process's first tier while Redis has not
   * invalidated it (see `LeasedClientSideCache`); it is frozen, shared by every reader.
   */
  async read<T>(key: string): Promise<CacheRead<T>> {
    if (this.bypassing || this.undeleted.has(key)) return { status: 'unavailable' };
    const tier = this.redis.localTier;
    const local = tier?.peek<T>(key);
    if (local !== undefined) return { status: 'hit', value: local };
    const fetch = async () => {
      const entry = await this.attempt('get', key, () => this.cache.get<Entry<T>>(key));
      if (!entry.ok) return { result: { status: 'unavailable' } as const };
      if (!entry.value) return { result: { status: 'miss' } as const };
      const { v, e } = entry.value;
      return { result: { status: 'hit', value: v } as const, keep: v, expiresAt: e };
    };
    return tier ? tier.load<CacheRead<T>>(key, '', fetch) : (await fetch()).result;
  }

  /** Stores `value`; resolves false when the store could not take it (already logged). */
  async set<T>(key: string, value: T, ttlSeconds = this.defaultTtlSeconds): Promise<boolean> {
    if (value === undefined || this.bypassing || this.undeleted.has(key)) return false;
    this.redis.localTier?.invalidate(key);
    const entry: Entry<T> = { v: value, e: Date.now() + ttlSeconds * 1000 };
    const result = await this.attempt('set', key, () => this.cache.set<Entry<T>>(key, entry, ttlSeconds * 1000));
    return result.ok;
  }

  /**
   * Explicit invalidation; call it after every write that changes what a key holds. The keys are
   * deleted now and once more {@link STALE_REFILL_WINDOW_MS} later, in case a concurrent
   * read-through puts back what it loaded before the write.
   */
  async del(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // Read-your-own-write here, whenever Redis's invalidation of this change arrives.
    for (const key of keys) this.redis.localTier?.invalidate(key);
    await this.deleteOrRemember(keys);
    const timer = setTimeout(() => {
      this.pendingDeletes.delete(timer);
      void this.deleteOrRemember(keys);
    }, STALE_REFILL_WINDOW_MS);
    timer.unref();
    this.pendingDeletes.add(timer);
  }

  /** Deletes `keys`, or remembers them for {@link deleteUndeleted} when Redis cannot take it now. */
  private async deleteOrRemember(keys: string[]): Promise<void> {
    const deleted = await this.attempt('del', keys.join(','), () => this.cache.mdel(keys));
    if (deleted.ok) return;
    const failure = ++this.failures;
    for (const key of keys) this.undeleted.set(key, failure);
    if (this.undeleted.size > MAX_UNDELETED_KEYS && !this.bypassing) {
      this.bypassing = true;
      this.logger.error(
        `Over ${MAX_UNDELETED_KEYS} cache invalidations wait for Redis: the cache is bypassed until they are done`,
      );
    }
  }

  /**
   * Deletes what invalidations could not delete: whenever the Redis connection is ready again, and
   * a second later while a batch fails on a connection that stays up (a timeout).
   */
  private deleteUndeleted(): Promise<void> {
    this.deleting ??= this.deleteUndeletedBatches().finally(() => (this.deleting = undefined));
    return this.deleting;
  }

  private async deleteUndeletedBatches(): Promise<void> {
    while (this.undeleted.size > 0) {
      const entries: Array<[string, number]> = [];
      for (const entry of this.undeleted) if (entries.push(entry) === UNDELETED_BATCH_SIZE) break;
      const batch = entries.map(([key]) => key);
      // One DEL of the batch (the store keeps keys as AppCache spells them), not a transaction of one
      // DEL per key: a batch must fit in CACHE_OPERATION_TIMEOUT_MS on a busy server too.
      const client = this.redis.client;
      const remove = (): Promise<unknown> => (client ? client.del(batch) : this.cache.mdel(batch));
      const deleted = await this.attempt('del', `${batch.length} keys left undeleted`, remove);
      if (!deleted.ok) {
        if (this.redis.isReady) this.retryTimer ??= setTimeout(() => this.retryUndeleted(), UNDELETED_RETRY_MS).unref();
        return; // otherwise the next 'ready' tries again
      }
      for (const [key, failure] of entries) if (this.undeleted.get(key) === failure) this.undeleted.delete(key);
    }
    if (this.bypassing) this.logger.log('The cache invalidations Redis missed are done: the cache is used again');
    this.bypassing = false;
  }

  private retryUndeleted(): void {
    this.retryTimer = undefined;
    void this.deleteUndeleted();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retryTimer);
    for (const timer of this.pendingDeletes) clearTimeout(timer);
    this.pendingDeletes.clear();
  }

  /**
   * Read-through: the cached value on a hit; otherwise the loader's result, stored for `ttlSeconds`.
   * `undefined` results are not cached (use `null` for a cacheable "nothing").
   */
  async getOrSet<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    const cached = await this.read<T>(key);
    if (cached.status === 'hit') return cached.value;
    const value = await loader();
    await this.set(key, value, ttlSeconds);
    return value;
  }

  /** For the readiness probe: which store, and whether it answers. */
  async status(): Promise<{ store: 'redis' | 'memory'; up: boolean }> {
    const client = this.redis.client;
    if (!client) return { store: 'memory', up: true };
    if (!client.isReady) return { store: 'redis', up: false };
    const pong = await withTimeout(client.ping(), this.timeoutMs).catch(() => undefined);
    return { store: 'redis', up: pong === 'PONG' };
  }

  private async attempt<T>(operation: string, key: string, run: () => Promise<T>): Promise<Attempt<T>> {
    if (this.redis.client && !this.redis.isReady) return { ok: false }; // down: don't even try
    try {
      return { ok: true, value: await withTimeout(run(), this.timeoutMs) };
    } catch (error) {
      const reason = error instanceof OperationTimeoutError ? error.message : String(error);
      this.logger.warn(`Cache ${operation} failed for ${key}: ${reason}`);
      return { ok: false };
    }
  }
}
