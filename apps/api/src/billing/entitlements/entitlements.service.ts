import { Injectable } from '@nestjs/common';
import { AppCache } from '@app/redis';
import { AppConfig } from '@app/config';
import { LimitExceededError } from '../billing.errors.js';
import { BillingService } from '../subscriptions/billing.service.js';
import { PlansRepository } from '../subscriptions/plans.repository.js';
import type { SubscriptionWithPlan } from '../subscriptions/subscriptions.repository.js';
import { entitlementsCacheKey, entitlementsOf, type Entitlements } from './entitlements.js';

/** The plan everyone without a paid subscription gets. */
const FREE_PLAN_CODE = 'free';
const ENTITLEMENTS_CACHE_TTL_SECONDS = 300;

/**
 * What a user may do now, from their subscription's plan, or the free plan. Cached per user; the
 * billing service drops the entry on every subscription change.
 */
@Injectable()
export class EntitlementsService {
  constructor(
    private readonly billing: BillingService,
    private readonly plans: PlansRepository,
    private readonly cache: AppCache,
    private readonly config: AppConfig,
  ) {}

  async effective(userId: string): Promise<Entitlements> {
    const key = this.cache.key(...entitlementsCacheKey(userId));
    const cached = await this.cache.read<Entitlements>(key);
    if (cached.status === 'hit') return cached.value;
    const now = new Date();
    const live = await this.billing.findLiveSubscription(userId);
    let entitlements: Entitlements;
    // Never cached past the moment they change by themselves (period end, end of the grace period).
    let ttlSeconds = ENTITLEMENTS_CACHE_TTL_SECONDS;
    if (live && this.grants(live, now)) {
      entitlements = entitlementsOf(live.plan);
      const changesAt = this.grantEnds(live);
      ttlSeconds = Math.max(1, Math.min(ttlSeconds, Math.floor((changesAt.getTime() - now.getTime()) / 1000)));
    } else {
      const free = await this.plans.findByCode(FREE_PLAN_CODE);
      entitlements = free ? entitlementsOf(free) : { planCode: FREE_PLAN_CODE, features: [], limits: {} };
    }
    await this.cache.set(key, entitlements, ttlSeconds);
    return entitlements;
  }

  async can(userId: string, feature: string): Promise<boolean> {
    return (await this.effective(userId)).features.includes(feature);
  }

  /** The numeric limit; 0 when the plan does not name it. */
  async limit(userId: string, name: string): Promise<number> {
    return (await this.effective(userId)).limits[name] ?? 0;
  }

  /** Throws PLAN_LIMIT_REACHED when `currentCount` already uses the whole limit (no room for one more). */
  async assertWithin(userId: string, name: string, currentCount: number): Promise<void> {
    const limit = await this.limit(userId, name);
    if (currentCount >= limit) throw new LimitExceededError(name, limit);
  }

  /**
   * When the plan's grant ends unless something else happens first (renewal, payment): at the
   * period's end, or for a past-due subscription at the end of the grace period, counted from the
   * failed payment (the provider has usually started the next, unpaid, period by then).
   */
  private grantEnds(subscription: SubscriptionWithPlan): Date {
    if (subscription.status !== 'PAST_DUE') return subscription.currentPeriodEnd;
    const since = subscription.pastDueSince ?? subscription.providerUpdatedAt;
    return new Date(since.getTime() + this.config.billing.pastDueGracePeriodSeconds * 1000);
  }

  /** Trialing and active grant; past-due keeps granting through the grace period. */
  private grants(subscription: SubscriptionWithPlan, now: Date): boolean {
    switch (subscription.status) {
      case 'TRIALING':
      case 'ACTIVE':
        return true;
      case 'PAST_DUE':
        return now < this.grantEnds(subscription);
      case 'INCOMPLETE':
      case 'CANCELED':
        return false;
    }
  }
}
