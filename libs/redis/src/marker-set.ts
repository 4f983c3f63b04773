import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { RedisConnection } from './redis-connection.js';
import { OperationTimeoutError, withTimeout } from '@app/common';
import { RedisScript } from './redis-script.js';

/** One marked id and when its mark stops mattering (epoch ms). */
export interface MarkerEntry {
  id: string;
  expiresAt: number;
}

/**
 * What one read tells: whether the id is marked, and until when (epoch ms) the set is known to hold
 * every mark that exists (undefined: not known to be complete, so a miss proves nothing).
 */
export type MarkerRead =
  { status: 'read'; marked: boolean; completeUntil: number | undefined } | { status: 'unavailable' };

/**
 * A set of expiring marks (e.g. revoked sessions) that knows whether it is complete, for checks
 * that may trust a miss only when nothing can be missing. The set is complete only after
 * `finishRebuild` has vouched for it, and stops being so when its storage loses anything (restart,
 * flush, eviction), when `markIncomplete` is called, or when the vouching lapses.
 *
 * A rebuild is `beginRebuild` (a lock, so one caller at a time rebuilds), `add` of every mark from
 * the source of truth, then `finishRebuild`, which declares the set complete only if nothing was
 * lost since `beginRebuild`: marks added by others meanwhile are in the set then, and marks lost
 * meanwhile lose the rebuild too. Ids must not start with `~` (reserved for the bookkeeping).
 */
export interface MarkerSet {
  /** One round trip. */
  read(id: string): Promise<MarkerRead>;
  /**
   * Resolves false when the marks could not be stored (already logged). `background`: not on a
   * request's path, so it may take longer than a request's cache call.
   */
  add(entries: MarkerEntry[], options?: { background?: boolean }): Promise<boolean>;
  /** Misses are not to be trusted until the next rebuild (one under way now does not count). */
  markIncomplete(): Promise<boolean>;
  /** Resolves false when someone else is rebuilding, or the storage is unavailable. */
  beginRebuild(token: string, lockMs: number): Promise<boolean>;
  /** With `completeUntil`, declares the set complete until then (false if anything was lost); without, gives up. */
  finishRebuild(token: string, completeUntil: number | undefined): Promise<boolean>;
}

/** Time limit of the calls made off the requests' path (rebuilds), whatever the request's limit. */
const BACKGROUND_TIMEOUT_MS = 2_000;
/** Most marks one `add` sends to Redis in one command. */
const ADD_BATCH = 1_000;
const COMPLETE = '~complete';
const REBUILD = '~rebuild:';

/** Drops what has expired, then keeps the key exactly as long as its latest mark: it dies whole. */
const TRIM = `
local function trim(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, last[2]) end
end
`;

/** KEYS[1] the set. ARGV[1] now (ms), then score/member pairs. */
const ADD_SCRIPT = new RedisScript(`${TRIM}
if #ARGV > 1 then redis.call('ZADD', KEYS[1], unpack(ARGV, 2)) end
trim(KEYS[1], ARGV[1])
return 1
`);

/** KEYS[1] the set, KEYS[2] the rebuild lock. ARGV[1] now (ms), ARGV[2] lock ms, ARGV[3] token. */
const BEGIN_REBUILD_SCRIPT = new RedisScript(`${TRIM}
if not redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[2]) then return 0 end
-- Lost with the set (restart, flush, eviction): finishRebuild then knows the rebuild is void.
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), '${REBUILD}' .. ARGV[3])
trim(KEYS[1], ARGV[1])
return 1
`);

/**
 * KEYS[1] the set, KEYS[2] the rebuild lock. ARGV[1] now (ms), ARGV[2] token, ARGV[3] complete
 * until (ms), or '' to give up. Returns 1 when the set is declared complete: only if the rebuild
 * still holds the lock (`markIncomplete` takes it away) and its member survived (the set was not lost).
 */
const FINISH_REBUILD_SCRIPT = new RedisScript(`${TRIM}
local rebuild = '${REBUILD}' .. ARGV[2]
local alive = redis.call('ZSCORE', KEYS[1], rebuild)
local owner = redis.call('GET', KEYS[2]) == ARGV[2]
redis.call('ZREM', KEYS[1], rebuild)
if owner then redis.call('DEL', KEYS[2]) end
local done = 0
if ARGV[3] ~= '' and owner and alive and tonumber(alive) > tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], '${COMPLETE}')
  done = 1
end
trim(KEYS[1], ARGV[1])
return done
`);

/** KEYS[1] the set, KEYS[2] the rebuild lock: a rebuild under way (its reads may predate a mark) is void. */
const MARK_INCOMPLETE_SCRIPT = new RedisScript(`
redis.call('ZREM', KEYS[1], '${COMPLETE}')
redis.call('DEL', KEYS[2])
return 1
`);

/**
 * The marks in one Redis sorted set (member: id, score: expiry), its completeness a member of the
 * same set. Whatever removes the key (a restart without persistence, FLUSHALL, eviction under
 * `maxmemory`: the key has a TTL, so `volatile-*` policies may evict it too) removes the marks and
 * the completeness together: the set can never claim to be complete while missing marks.
 */
export class RedisMarkerSet implements MarkerSet {
  private readonly logger = new Logger(RedisMarkerSet.name);
  private readonly lockKey: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly key: string,
    private readonly timeoutMs: number,
  ) {
    this.lockKey = `${key}:rebuild-lock`;
  }

  async read(id: string): Promise<MarkerRead> {
    // Answered from this process while Redis has not invalidated the set (see LeasedClientSideCache).
    const tier = this.redis.localTier;
    const local = tier?.peek<MarkerRead>(this.key, id);
    if (local !== undefined) return local;
    const fetch = async () => {
      const scores = await this.attempt('read', (client) => client.zmScore(this.key, [id, COMPLETE]));
      if (scores === undefined) return { result: { status: 'unavailable' } as MarkerRead };
      const [mark, complete] = scores;
      // Any member counts: every write drops the expired ones, and a token outlives its mark by no
      // more than the clocks disagree (its own expiry is checked anyway).
      const read: MarkerRead = {
        status: 'read',
        marked: mark !== null && mark !== undefined,
        completeUntil: complete ?? undefined,
      };
      return { result: read, keep: read };
    };
    return tier ? tier.load(this.key, id, fetch) : (await fetch()).result;
  }

  async add(entries: MarkerEntry[], options: { background?: boolean } = {}): Promise<boolean> {
    this.dropLocal();
    for (let start = 0; start < entries.length; start += ADD_BATCH) {
      const pairs = entries.slice(start, start + ADD_BATCH).flatMap((entry) => [String(entry.expiresAt), entry.id]);
      const added = await this.attempt(
        'add',
        (client) => ADD_SCRIPT.run(client, { keys: [this.key], arguments: [String(Date.now()), ...pairs] }),
        options.background ? BACKGROUND_TIMEOUT_MS : this.timeoutMs,
      );
      if (added === undefined) return false;
    }
    return true;
  }

  async markIncomplete(): Promise<boolean> {
    this.dropLocal();
    const done = await this.attempt('markIncomplete', (client) =>
      MARK_INCOMPLETE_SCRIPT.run(client, { keys: [this.key, this.lockKey], arguments: [] }),
    );
    return done === 1;
  }

  async beginRebuild(token: string, lockMs: number): Promise<boolean> {
    this.dropLocal();
    const begun = await this.attempt(
      'beginRebuild',
      (client) =>
        BEGIN_REBUILD_SCRIPT.run(client, {
          keys: [this.key, this.lockKey],
          arguments: [String(Date.now()), String(lockMs), token],
        }),
      BACKGROUND_TIMEOUT_MS,
    );
    // No answer: it may have run all the same, and would hold the lock for nothing.
    if (begun === undefined) await this.finishRebuild(token, undefined);
    return begun === 1;
  }

  async finishRebuild(token: string, completeUntil: number | undefined): Promise<boolean> {
    this.dropLocal();
    const done = await this.attempt(
      'finishRebuild',
      (client) =>
        FINISH_REBUILD_SCRIPT.run(client, {
          keys: [this.key, this.lockKey],
          arguments: [String(Date.now()), token, completeUntil === undefined ? '' : String(completeUntil)],
        }),
      BACKGROUND_TIMEOUT_MS,
    );
    return done === 1;
  }

  /** A write of this instance is seen by its next read, whenever Redis's invalidation arrives. */
  private dropLocal(): void {
    this.redis.localTier?.invalidate(this.key);
  }

  /** The command's reply, or undefined when Redis is down, failing or too slow (logged). */
  private async attempt<T>(
    operation: string,
    run: (client: NonNullable<RedisConnection['client']>) => Promise<T>,
    timeoutMs = this.timeoutMs,
  ): Promise<T | undefined> {
    const client = this.redis.client;
    if (!client?.isReady) return undefined; // down: don't even try
    try {
      return await withTimeout(run(client), timeoutMs);
    } catch (error) {
      const reason = error instanceof OperationTimeoutError ? error.message : String(error);
      this.logger.warn(`Marker set ${operation} failed for ${this.key}: ${reason}`);
      return undefined;
    }
  }
}

/**
 * The marks in this process's memory, for a single instance without Redis. At most `maxEntries`
 * live marks: one more makes the set incomplete (misses then go to the source of truth) until
 * enough have expired for a rebuild to fit.
 */
export class MemoryMarkerSet implements MarkerSet {
  private readonly marks = new Map<string, number>();
  private completeUntil: number | undefined;
  private rebuildToken: string | undefined;

  constructor(private readonly maxEntries: number) {}

  read(id: string): Promise<MarkerRead> {
    const expiresAt = this.marks.get(id);
    const marked = expiresAt !== undefined && expiresAt > Date.now();
    return Promise.resolve({ status: 'read', marked, completeUntil: this.completeUntil });
  }

  add(entries: MarkerEntry[]): Promise<boolean> {
    for (const entry of entries) {
      if (!this.marks.has(entry.id) && this.marks.size >= this.maxEntries) this.dropExpired();
      if (!this.marks.has(entry.id) && this.marks.size >= this.maxEntries) {
        // Full of live marks: this one is lost, so the set can no longer vouch for misses.
        this.completeUntil = undefined;
        this.rebuildToken = undefined;
        continue;
      }
      this.marks.set(entry.id, Math.max(entry.expiresAt, this.marks.get(entry.id) ?? 0));
    }
    return Promise.resolve(true);
  }

  markIncomplete(): Promise<boolean> {
    this.completeUntil = undefined;
    this.rebuildToken = undefined;
    return Promise.resolve(true);
  }

  beginRebuild(token: string): Promise<boolean> {
    if (this.rebuildToken !== undefined) return Promise.resolve(false);
    this.dropExpired();
    this.rebuildToken = token;
    return Promise.resolve(true);
  }

  finishRebuild(token: string, completeUntil: number | undefined): Promise<boolean> {
    const alive = this.rebuildToken === token;
    if (alive) this.rebuildToken = undefined;
    if (!alive || completeUntil === undefined) return Promise.resolve(false);
    this.completeUntil = completeUntil;
    return Promise.resolve(true);
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [id, expiresAt] of this.marks) if (expiresAt <= now) this.marks.delete(id);
  }
}

/** Most live marks a set holds in memory (no Redis); beyond, checks go to the source of truth. */
const MEMORY_MARKER_SET_MAX_ENTRIES = 100_000;

/** A marker set named `<prefix>:<module>:<name>`, in Redis when it is configured, else in memory. */
export function createMarkerSet(redis: RedisConnection, config: AppConfig, key: string): MarkerSet {
  return redis.client
    ? new RedisMarkerSet(redis, key, config.cache.operationTimeoutMs)
    : new MemoryMarkerSet(MEMORY_MARKER_SET_MAX_ENTRIES);
}
