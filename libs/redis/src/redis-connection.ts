import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createClient, type RedisClientType } from 'redis';
import { AppConfig } from '@app/config';

/** How long boot waits for Redis before going on without it (it keeps reconnecting). */
const BOOT_CONNECT_TIMEOUT_MS = 2_000;

/**
 * The one Redis connection of the process (cache store, and later rate limiting), or none when
 * `REDIS_URL` is unset. Redis is an accelerator here, never a source of truth: when it is down
 * commands fail fast (no offline queue) and callers fall back to the database.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  readonly client: RedisClientType | undefined;
  private lastErrorLoggedAt = 0;

  constructor(config: AppConfig) {
    const url = config.cache.redisUrl;
    if (url === undefined) return;
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        // Back off up to 5 s between attempts, forever: the app keeps serving meanwhile.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
      },
    });
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
    if (!this.client?.isOpen) return;
    // quit() flushes pending replies; when Redis is gone only a hard disconnect returns.
    await (this.client.isReady ? this.client.quit() : this.client.disconnect()).catch(() => undefined);
  }
}
