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
  private readonly parsed = new Map<string, { expiresAt: number; parts: Map<string, unknown> }>();
  private readonly loading = new Map<string, Map<string, LoadToken>>();

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
    if (entry.expiresAt <= Date.now()) {
      this.parsed.delete(key);
      return undefined;
    }
    return entry.parts.get(part) as T | undefined;
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
   * invalidated the key (or the tier was emptied) since. The value is frozen: every reader shares it.
   */
  remember(key: string, token: LoadToken, value: unknown, part = ''): void {
    const loads = this.loading.get(key);
    if (loads?.get(part) !== token) return;
    loads.delete(part);
    if (loads.size === 0) this.loading.delete(key);
    let entry = this.parsed.get(key);
    if (entry === undefined) {
      if (this.parsed.size >= this.options.maxEntries) {
        const oldest = this.parsed.keys().next().value;
        if (oldest !== undefined) this.parsed.delete(oldest);
      }
      entry = { expiresAt: Date.now() + this.options.ttl, parts: new Map() };
      this.parsed.set(key, entry);
    }
    entry.parts.set(part, deepFreeze(value));
  }

  override invalidate(key: Parameters<BasicClientSideCache['invalidate']>[0]): void {
    // A null key (Redis asks to drop everything) empties the tier through clear().
    if (key !== null) {
      const name = key.toString();
      this.parsed.delete(name);
      this.loading.delete(name);
    }
    super.invalidate(key);
  }

  override clear(resetStats?: boolean): void {
    this.parsed.clear();
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
