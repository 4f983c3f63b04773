import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisThrottlerStorage, ThrottlerStorageRecord } from './redis-throttler.storage.js';

/** Most clients one instance counts in memory at once; beyond, a new client is counted in Redis call by call. */
export const LOCAL_FIRST_MAX_KEYS = 50_000;

interface LocalCount {
  key: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  throttlerName: string;
  /** The shared count as Redis last answered it (every instance's hits), and when (epoch ms). */
  known: ThrottlerStorageRecord;
  knownAt: number;
  /** Hits admitted here since, not yet added to Redis. */
  pending: number;
  /** Blocked here (over the limit by this instance's count) until then (epoch ms). */
  blockedUntil: number;
  syncing: boolean;
}

/**
 * The throttlers named `localFirst` (the general per-client limit) are counted in this process and
 * added to the shared count in Redis in batches, every `syncIntervalMs`; the others (the strict
 * limits of the credential routes) go to Redis call by call, exactly. As the large edge rate
 * limiters do: a request of a known client costs no round trip, and the limit still holds across
 * instances, within a bound.
 *
 * A client this instance has not seen for an interval is counted in Redis first (one round trip,
 * which also tells the shared count). After that, each call adds to what this instance admitted
 * since Redis last answered; the sum over the limit blocks, here at once and in Redis at the next
 * addition. Each addition returns the shared count, so every instance learns the others' hits once
 * per interval. **Bound:** instances together admit at most the limit plus what they admitted of
 * that client's requests in the last two intervals: a hit reaches Redis at its instance's next
 * addition, and another instance at its own next one after that.
 *
 * When Redis is unavailable, additions go to `RedisThrottlerStorage`'s in-process fallback
 * (limits then hold per instance). The counts of at most {@link LOCAL_FIRST_MAX_KEYS} clients are
 * kept; what is left at shutdown is added before the connection closes.
 */
export class LocalFirstThrottlerStorage implements ThrottlerStorage, BeforeApplicationShutdown {
  private readonly logger = new Logger(LocalFirstThrottlerStorage.name);
  private readonly counts = new Map<string, LocalCount>();
  private readonly timer: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly exact: RedisThrottlerStorage,
    private readonly localFirst: ReadonlySet<string>,
    private readonly syncIntervalMs: number,
  ) {
    this.timer = setInterval(() => void this.sync(), syncIntervalMs);
    this.timer.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.localFirst.has(throttlerName)) return this.exact.increment(key, ttl, limit, blockDuration, throttlerName);
    const id = `${throttlerName}:${key}`;
    const now = Date.now();
    const count = this.counts.get(id);
    if (count && (count.pending > 0 || count.syncing || now - count.knownAt < this.syncIntervalMs)) {
      return this.countHere(count, now);
    }
    // Unknown here, or not heard of for an interval: counted in Redis, which tells the shared count.
    const askedAt = Date.now();
    const known = await this.exact.increment(key, ttl, limit, blockDuration, throttlerName);
    const current = this.counts.get(id);
    if (current) {
      // Another call installed it meanwhile and may have counted hits here since: keep those; only
      // a newer answer of Redis replaces what is known.
      if (askedAt >= current.knownAt && current.pending === 0 && !current.syncing) {
        current.known = known;
        current.knownAt = Date.now();
      }
    } else if (this.counts.size < LOCAL_FIRST_MAX_KEYS) {
      this.counts.set(id, {
        key,
        ttl,
        limit,
        blockDuration,
        throttlerName,
        known,
        knownAt: Date.now(),
        pending: 0,
        blockedUntil: 0,
        syncing: false,
      });
    }
    return known;
  }

  /** Before the Redis connection closes: what was counted here is added, additions under way included. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    await this.sync();
    // The exact storage is not a Nest provider here: its own shutdown (the fallback's timers) is ours to run.
    this.exact.onApplicationShutdown();
  }

  /** One call admitted or refused by this instance's count. */
  private countHere(count: LocalCount, now: number): ThrottlerStorageRecord {
    const elapsedSeconds = Math.floor((now - count.knownAt) / 1000);
    const timeToExpire = Math.max(1, count.known.timeToExpire - elapsedSeconds);
    const knownBlockLeft = count.known.isBlocked ? count.known.timeToBlockExpire - elapsedSeconds : 0;
    const blockLeft = Math.max(knownBlockLeft, Math.ceil((count.blockedUntil - now) / 1000));
    if (blockLeft > 0) {
      return {
        totalHits: count.known.totalHits + count.pending,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: blockLeft,
      };
    }
    count.pending++;
    const totalHits = (count.known.isBlocked ? 0 : count.known.totalHits) + count.pending;
    if (totalHits <= count.limit) return { totalHits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
    const blockMs = count.blockDuration > 0 ? count.blockDuration : timeToExpire * 1000;
    count.blockedUntil = now + blockMs;
    return { totalHits, timeToExpire, isBlocked: true, timeToBlockExpire: Math.ceil(blockMs / 1000) };
  }

  /** Adds what was counted here to Redis, and learns the shared counts; forgets idle clients. */
  private async sync(): Promise<void> {
    const now = Date.now();
    const additions: Array<Promise<void>> = [];
    for (const [id, count] of this.counts) {
      if (count.syncing) continue;
      if (count.pending === 0) {
        if (now - count.knownAt > Math.max(count.ttl, count.blockDuration) && now >= count.blockedUntil)
          this.counts.delete(id);
        continue;
      }
      const addition = this.add(count).finally(() => this.inFlight.delete(addition));
      this.inFlight.add(addition);
      additions.push(addition);
    }
    await Promise.all(additions);
  }

  private async add(count: LocalCount): Promise<void> {
    const hits = count.pending;
    count.syncing = true;
    try {
      const known = await this.exact.increment(
        count.key,
        count.ttl,
        count.limit,
        count.blockDuration,
        count.throttlerName,
        hits,
      );
      count.known = known;
      count.knownAt = Date.now();
      count.pending -= hits;
      // Redis now holds this instance's block too (or has lifted it).
      if (!known.isBlocked) count.blockedUntil = 0;
    } catch (error) {
      // RedisThrottlerStorage falls back instead of throwing; this is a bug, not an outage.
      this.logger.error(`Could not add ${hits} counted requests to the shared rate limit: ${String(error)}`);
    } finally {
      count.syncing = false;
    }
  }
}
