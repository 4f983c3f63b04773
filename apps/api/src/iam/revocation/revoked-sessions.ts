import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { cacheKey, createMarkerSet, RedisConnection, type MarkerEntry, type MarkerSet } from '@app/redis';
import { AppConfig } from '@app/config';
import { RevokedSessionsRepository } from './revoked-sessions.repository.js';

/** How long a rebuild vouches for the markers: past it, misses go to the database again. */
const REVOCATIONS_COMPLETE_FOR_MS = 120_000;
/** A read that finds less than this left of the vouching starts the next rebuild, in the background. */
const REBUILD_WHEN_LEFT_MS = 60_000;
/** Longest a rebuild may hold the lock; a slower one is void (its markers stay, they are true). */
const REBUILD_LOCK_MS = 30_000;
const REBUILD_PAGE_SIZE = 1_000;
/** Most pages a rebuild reads: beyond 100,000 revocations in one access-token lifetime, checks stay on the database. */
const MAX_REBUILD_PAGES = 100;
/** Pause between two rebuild attempts of this process, and between retries of unwritten markers. */
const RETRY_INTERVAL_MS = 1_000;
/** Most unwritten markers this process remembers; beyond, it makes every instance distrust misses. */
const MAX_UNWRITTEN = 10_000;

/**
 * The per-request revocation check, against markers in Redis (one sorted set, `MarkerSet`) with the
 * database (`sessions.revokedAt`) as the source of truth. Revoking a session adds a marker that
 * lives as long as any access token issued for it can.
 *
 * A marker means revoked. A miss means "not revoked" only while the set is known to be complete,
 * i.e. holds every session revoked within the last access-token lifetime: that is one round trip
 * (ZMSCORE of the session and of the completeness member). When the set is not complete (Redis
 * restarted empty, flushed, evicted the key, or nobody has rebuilt it yet), the check asks the
 * database and starts a rebuild: one instance at a time (a lock in Redis, single-flight here) copies
 * the revocations of the last access-token lifetime from the database, in pages, and declares the
 * set complete for {@link REVOCATIONS_COMPLETE_FOR_MS}, unless the set was lost meanwhile. Reads
 * start the next rebuild before that lapses, so a rebuild runs about once a minute under traffic.
 * When Redis cannot answer at all, every check asks the database.
 *
 * A marker this process could not write (Redis down or refusing writes) is remembered here: this
 * process refuses the session itself, tells the set it is incomplete if Redis still answers that,
 * and writes the marker again every second (and at reconnection) until it is stored.
 */
@Injectable()
export class RevokedSessions implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RevokedSessions.name);
  private readonly markers: MarkerSet;
  private readonly markerTtlMs: number;
  /** Revoked here, not yet in the set: session id -> marker expiry. */
  private readonly unwritten = new Map<string, number>();
  /** Unwritten markers were dropped (too many): misses are not trusted until the set says incomplete. */
  private mustMarkIncomplete = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;
  private lastRebuildAt = 0;
  private stopped = false;
  /** After a reconnection Redis may be empty (restarted): rebuild before the first request asks. */
  private readonly onReconnect = () => {
    void this.writeUnwritten();
    this.rebuildInBackground();
  };

  constructor(
    private readonly sessions: RevokedSessionsRepository,
    private readonly redis: RedisConnection,
    config: AppConfig,
  ) {
    this.markerTtlMs = config.auth.accessTokenTtlSeconds * 1000;
    this.markers = createMarkerSet(redis, config, cacheKey(config.cache.keyPrefix, 'auth', 'revoked-sessions'));
  }

  onApplicationBootstrap(): void {
    this.redis.client?.on('ready', this.onReconnect);
    this.rebuildInBackground();
  }

  /** Before the database and Redis connections close: nothing new starts, a rebuild under way ends. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.redis.client?.off('ready', this.onReconnect);
    clearTimeout(this.retryTimer);
    await this.rebuilding;
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    if (this.isUnwritten(sessionId)) return true;
    const read = await this.markers.read(sessionId);
    if (read.status === 'unavailable') return this.sessions.isRevoked(sessionId);
    if (read.marked) return true;
    const left = (read.completeUntil ?? 0) - Date.now();
    if (left < REBUILD_WHEN_LEFT_MS) this.rebuildInBackground();
    if (left > 0 && !this.mustMarkIncomplete) return false;
    return this.sessions.isRevoked(sessionId);
  }

  /** Call after the sessions' revocation is committed to the database. */
  async mark(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const expiresAt = Date.now() + this.markerTtlMs;
    const entries = sessionIds.map((id) => ({ id, expiresAt }));
    if (await this.markers.add(entries)) return;
    this.logger.error(
      `Could not record revoked sessions in Redis (retrying every second; until then misses are not trusted ` +
        `where Redis still answers): ${sessionIds.join(', ')}`,
    );
    this.remember(entries);
    // Redis may still take a delete while refusing writes (maxmemory, noeviction) or timing out.
    await this.markers.markIncomplete();
    this.scheduleRetry();
  }

  /** Starts a rebuild unless one of this process runs, or one started less than a second ago. */
  private rebuildInBackground(): void {
    if (this.stopped || this.rebuilding || Date.now() - this.lastRebuildAt < RETRY_INTERVAL_MS) return;
    this.lastRebuildAt = Date.now();
    this.rebuilding = this.rebuild()
      .catch((error: unknown) => this.logger.warn(`Rebuilding the revocation markers failed: ${String(error)}`))
      .finally(() => (this.rebuilding = undefined));
  }

  private async rebuild(): Promise<void> {
    const token = randomBytes(12).toString('base64url');
    // Someone else is rebuilding (or Redis is down): their result, or the next read, will do.
    if (!(await this.markers.beginRebuild(token, REBUILD_LOCK_MS))) return;
    let completed = false;
    try {
      completed = await this.copyFromDatabase(token);
    } finally {
      if (!completed) await this.markers.finishRebuild(token, undefined);
    }
    if (completed) this.logger.log('Revocation markers rebuilt from the database');
  }

  /** Every revocation of the last access-token lifetime into the set, then the set declared complete. */
  private async copyFromDatabase(token: string): Promise<boolean> {
    const since = new Date(Date.now() - this.markerTtlMs);
    let afterId: string | undefined;
    for (let page = 0; page < MAX_REBUILD_PAGES; page++) {
      const rows = await this.sessions.revokedSince(since, afterId, REBUILD_PAGE_SIZE);
      const entries = rows.map((row) => ({ id: row.id, expiresAt: row.revokedAt.getTime() + this.markerTtlMs }));
      if (!(await this.markers.add(entries, { background: true }))) return false;
      if (rows.length < REBUILD_PAGE_SIZE) {
        return this.markers.finishRebuild(token, Date.now() + REVOCATIONS_COMPLETE_FOR_MS);
      }
      afterId = rows[rows.length - 1]?.id;
    }
    this.logger.error(
      `More than ${MAX_REBUILD_PAGES * REBUILD_PAGE_SIZE} sessions revoked in one access-token lifetime: ` +
        'revocation checks of unmarked sessions stay on the database',
    );
    return false;
  }

  private isUnwritten(sessionId: string): boolean {
    const expiresAt = this.unwritten.get(sessionId);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.unwritten.delete(sessionId);
    return false;
  }

  private remember(entries: MarkerEntry[]): void {
    for (const entry of entries) {
      if (this.unwritten.size >= MAX_UNWRITTEN) {
        this.mustMarkIncomplete = true;
        return;
      }
      this.unwritten.set(entry.id, entry.expiresAt);
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.writeUnwritten();
    }, RETRY_INTERVAL_MS);
    this.retryTimer.unref();
  }

  /** Writes the markers this process could not write, then forgets them. */
  private async writeUnwritten(): Promise<void> {
    const now = Date.now();
    for (const [id, expiresAt] of this.unwritten) if (expiresAt <= now) this.unwritten.delete(id);
    if (this.unwritten.size === 0 && !this.mustMarkIncomplete) return;
    const entries = [...this.unwritten].map(([id, expiresAt]) => ({ id, expiresAt }));
    const written = await this.markers.add(entries, { background: true });
    // Dropped markers are only in the database: the next rebuild copies them, once the set says incomplete.
    const settled = written && (!this.mustMarkIncomplete || (await this.markers.markIncomplete()));
    if (!settled) {
      this.scheduleRetry();
      return;
    }
    for (const entry of entries) if (this.unwritten.get(entry.id) === entry.expiresAt) this.unwritten.delete(entry.id);
    this.mustMarkIncomplete = false;
    this.logger.log(`Recorded ${entries.length} revoked session(s) in Redis that could not be written before`);
    if (this.unwritten.size > 0) this.scheduleRetry(); // failed meanwhile
  }
}
