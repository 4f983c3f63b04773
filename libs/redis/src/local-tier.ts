import { BasicClientSideCache } from '@redis/client';

/** How often a connection with a first tier proves it is alive and caught up: one PING. */
export const LOCAL_TIER_PING_INTERVAL_MS = 50;
/** How long after the last proof the first tier is trusted; past it, every read goes to Redis. */
export const LOCAL_TIER_LEASE_MS = 100;

/**
 * The first tier: Redis replies kept in this process (node-redis's client-side cache, which Redis
 * keeps coherent by pushing invalidations on the same connection as the replies).
 *
 * Invalidations travel in order with the replies, so a PING answered means every change Redis made
 * before it has been applied here. A connection that dies is noticed at once (the cache empties),
 * but one that goes silent (a partition, a stalled server) would leave invalidations in flight
 * while this process kept serving what it holds. So the tier is served only on a lease that each
 * answered PING renews: when the answers stop, it empties itself and reads go to Redis, where they
 * fail fast and fall back to the database. A reply it serves is never older than
 * {@link LOCAL_TIER_LEASE_MS} plus one PING's round trip behind Redis.
 */
/** What {@link LeasedClientSideCache.beginLoad} hands out: proof that no invalidation came since. */
export type LoadToken = symbol;

export class LeasedClientSideCache extends BasicClientSideCache {
  private trustedUntil = 0;
  /**
   * Values the app parsed from replies of this connection, by Redis key then by part (a field of
   * the key, e.g. one member of a sorted set): a hit costs a Map lookup instead of the client's
   * lookup, a clone of the reply and a parse. Dropped with the replies they came from.
   */
  private readonly parsed = new Map<string, { parts: Map<string, { value: unknown; expiresAt: number }> }>();
  private readonly loading = new Map<string, Map<string, LoadToken>>();
  /** Parts kept over all keys: bounded by `maxEntries` (the revocation markers are one key, many parts). */
  private parts = 0;

  constructor(private readonly options: { maxEntries: number; ttl: number }) {
    super({ ...options, evictPolicy: 'LRU' });
  }

  /** A PING sent at `sentAt` was answered: everything Redis did before then is known here. */
  renew(sentAt: number): void {
    this.trustedUntil = Math.max(this.trustedUntil, sentAt + LOCAL_TIER_LEASE_MS);
  }

  override get(cacheKey: string): ReturnType<BasicClientSideCache['get']> {
    if (!this.trusted()) return undefined;
    return super.get(cacheKey);
  }

  /** The value parsed from `key` (`part` of it), while the lease holds and nothing invalidated it. */
  peek<T>(key: string, part = ''): T | undefined {
    if (!this.trusted()) return undefined;
    const entry = this.parsed.get(key);
    if (entry === undefined) return undefined;
    const value = entry.parts.get(part);
    if (value === undefined) return undefined;
    if (value.expiresAt <= Date.now()) {
      entry.parts.delete(part);
      this.parts--;
      return undefined;
    }
    return value.value as T;
  }

  /**
   * A read of `key` (`part` of it) from Redis through this tier: `fetch` answers the caller's
   * `result` and, in `keep`, the value to keep (with its entry's expiry), which is kept unless Redis
   * invalidated the key or the tier was emptied meanwhile. The load ends however `fetch` does.
   */
  async load<R>(
    key: string,
    part: string,
    fetch: () => Promise<{ result: R; keep?: unknown; expiresAt?: number }>,
  ): Promise<R> {
    const token = this.beginLoad(key, part);
    try {
      const { result, keep, expiresAt } = await fetch();
      if (keep !== undefined) this.remember(key, token, keep, part, expiresAt);
      return result;
    } finally {
      this.abandon(key, token, part);
    }
  }

  /** Call before reading `key` (`part` of it) from Redis; hand the token to {@link remember} with what was read. */
  beginLoad(key: string, part = ''): LoadToken {
    const token = Symbol(key);
    let parts = this.loading.get(key);
    if (parts === undefined) {
      parts = new Map();
      this.loading.set(key, parts);
    }
    parts.set(part, token);
    return token;
  }

  /**
   * Keeps `value`, parsed from a reply to a read of `key` that began with `token`, unless Redis
   * invalidated the key (or the tier was emptied) since, until `expiresAt` (the entry's own expiry:
   * Redis tells of an expired key only once something touches it) and at most the tier's time to
   * live. The value is frozen: every reader shares it.
   */
  remember(key: string, token: LoadToken, value: unknown, part = '', expiresAt = Number.POSITIVE_INFINITY): void {
    if (!this.abandon(key, token, part)) return;
    const until = Math.min(expiresAt, Date.now() + this.options.ttl);
    if (until <= Date.now()) return;
    let entry = this.parsed.get(key);
    if (entry === undefined) {
      entry = { parts: new Map() };
      this.parsed.set(key, entry);
    }
    if (!entry.parts.has(part)) {
      // The oldest keys go first, whole, until there is room for one more part.
      while (this.parts >= this.options.maxEntries && this.parsed.size > 0) this.dropOldest();
      if (!this.parsed.has(key)) this.parsed.set(key, entry);
      this.parts++;
    }
    entry.parts.set(part, { value: deepFreeze(value), expiresAt: until });
  }

  /** Ends the load of `token` without keeping anything (a miss, a failure); false if it was void already. */
  abandon(key: string, token: LoadToken, part = ''): boolean {
    const loads = this.loading.get(key);
    if (loads?.get(part) !== token) return false;
    loads.delete(part);
    if (loads.size === 0) this.loading.delete(key);
    return true;
  }

  private dropOldest(): void {
    const oldest = this.parsed.keys().next().value;
    if (oldest === undefined) return;
    const entry = this.parsed.get(oldest);
    this.parts -= entry?.parts.size ?? 0;
    entry?.parts.clear();
    this.parsed.delete(oldest);
  }

  override invalidate(key: Parameters<BasicClientSideCache['invalidate']>[0]): void {
    // A null key (Redis asks to drop everything) empties the tier through clear().
    if (key !== null) {
      const name = key.toString();
      this.parts -= this.parsed.get(name)?.parts.size ?? 0;
      this.parsed.delete(name);
      this.loading.delete(name);
    }
    super.invalidate(key);
  }

  override clear(resetStats?: boolean): void {
    this.parsed.clear();
    this.parts = 0;
    this.loading.clear();
    super.clear(resetStats);
  }

  private trusted(): boolean {
    if (Date.now() < this.trustedUntil) return true;
    if (this.size() > 0 || this.parsed.size > 0 || this.loading.size > 0) this.clear(false);
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
