import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createClient } from '@redis/client';
import { AppConfig } from '@app/config';
import { LOCAL_TIER_PING_INTERVAL_MS, LeasedClientSideCache } from './local-tier.js';

/** How long boot waits for Redis before going on without it (it keeps reconnecting). */
const BOOT_CONNECT_TIMEOUT_MS = 2_000;

/**
 * A client on RESP3 with server-assisted client-side caching, the first tier: replies of read
 * commands (GET of cached entries, ZMSCORE of the revocation markers, ...) are kept in this process,
 * and Redis, which tracks what this connection has read, pushes an invalidation on the same
 * connection as soon as any client changes one of those keys. The client empties the tier whenever
 * its connection errors or closes (invalidations may have been lost), does not keep a reply whose
 * key was invalidated while it was being read, and keeps none longer than `ttlMs`;
 * {@link LeasedClientSideCache} stops serving it when the connection goes silent.
 */
function createRedisClient(url: string, localTier: LeasedClientSideCache | undefined) {
  return createClient({
    url,
    // RESP3 (Redis 6 or newer, HELLO and CLIENT TRACKING allowed) only for the first tier.
    RESP: localTier ? 3 : 2,
    // Also what keeps the first tier sound: a connection error rejects every command in flight,
    // so no reply that predates the tier's emptying can be stored in it afterwards.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      // Back off up to 5 s between attempts, forever: the app keeps serving meanwhile.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
    },
    clientSideCache: localTier,
  });
}

export type RedisClient = ReturnType<typeof createRedisClient>;

/**
 * The one Redis connection of the process (cache store, and later rate limiting), or none when
 * `REDIS_URL` is unset. Redis is an accelerator here, never a source of truth: when it is down
 * commands fail fast (no offline queue) and callers fall back to the database.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  readonly client: RedisClient | undefined;
  /** The first tier (CACHE_LOCAL_MAX_ENTRIES > 0), or none. */
  readonly localTier: LeasedClientSideCache | undefined;
  private readonly leaseTimer: NodeJS.Timeout | undefined;
  private lastErrorLoggedAt = 0;

  constructor(config: AppConfig) {
    const url = config.cache.redisUrl;
    if (url === undefined) return;
    if (config.cache.localMaxEntries > 0) {
      this.localTier = new LeasedClientSideCache({
        maxEntries: config.cache.localMaxEntries,
        ttl: config.cache.defaultTtlSeconds * 1000,
      });
    }
    const client = createRedisClient(url, this.localTier);
    this.client = client;
    const tier = this.localTier;
    if (tier) {
      this.leaseTimer = setInterval(() => {
        if (!client.isReady) return;
        const sentAt = Date.now();
        client.ping().then(
          () => tier.renew(sentAt),
          () => undefined,
        );
      }, LOCAL_TIER_PING_INTERVAL_MS);
      this.leaseTimer.unref();
    }
    // Without a listener an 'error' event would crash the process; log at most every 10 s.
    this.client.on('error', (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLoggedAt < 10_000) return;
      this.lastErrorLoggedAt = now;
      this.logger.warn(`Redis unavailable, serving without cache: ${error.message}`);
    });
  }

  get isReady(): boolean {
    return this.client?.isReady ?? false;
  }

  /** Connects, but gives up waiting after a short while: a cache outage must not block boot. */
  async connect(): Promise<void> {
    if (!this.client || this.client.isOpen) return;
    const connecting = this.client.connect().then(
      () => true,
      () => false,
    );
    const connected = await Promise.race([
      connecting,
      new Promise<boolean>((resolve) => setTimeout(resolve, BOOT_CONNECT_TIMEOUT_MS, false).unref()),
    ]);
    if (connected) this.logger.log('Connected to Redis');
    else this.logger.warn('Redis is unreachable at boot; starting without cache and retrying in the background');
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.leaseTimer);
    if (!this.client?.isOpen) return;
    // close() waits for pending replies; when Redis is gone only destroy() returns.
    if (this.client.isReady) await this.client.close().catch(() => undefined);
    else this.client.destroy();
  }
}
