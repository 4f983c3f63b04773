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
export class LeasedClientSideCache extends BasicClientSideCache {
  private trustedUntil = 0;

  /** A PING sent at `sentAt` was answered: everything Redis did before then is known here. */
  renew(sentAt: number): void {
    this.trustedUntil = Math.max(this.trustedUntil, sentAt + LOCAL_TIER_LEASE_MS);
  }

  override get(cacheKey: string): ReturnType<BasicClientSideCache['get']> {
    if (Date.now() >= this.trustedUntil) {
      if (this.size() > 0) this.clear(false);
      return undefined;
    }
    return super.get(cacheKey);
  }
}
