import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppCache } from '@app/redis';

/**
 * The cache is an accelerator: when Redis is down the API still answers from the database, so the
 * indicator reports `degraded` (HTTP 200) rather than `down` (503).
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly cache: AppCache,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    const { store, up } = await this.cache.status();
    return up
      ? indicator.up({ store })
      : indicator.degraded({ store, message: 'Redis is unreachable; serving without cache' });
  }
}
