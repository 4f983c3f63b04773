import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppCache } from '@app/cache';
import { AppConfig } from '@app/config';
import { BY_CREATION, hashOpaqueToken, toPage, type Page } from '@app/common';
import { PLANS_CACHE_KEY, type Invoice, type Plan, type SubscriptionStatus } from '@app/database';
import { BillingProvider } from './billing-provider.js';
import {
  AlreadySubscribedError,
  CheckoutLinkInvalidError,
  NoSubscriptionError,
  PlanNotFoundError,
  PlanNotPurchasableError,
} from './billing.errors.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { InvoicesRepository } from './invoices.repository.js';
import { PlansRepository } from './plans.repository.js';
import { SubscriptionsRepository, type SubscriptionWithPlan } from './subscriptions.repository.js';

/** Plans change only through the seed, which drops the cached list in Redis; this bounds what it cannot reach. */
const PLANS_CACHE_TTL_SECONDS = 300;
/** Bounds the catch-up of a long-idle local subscription (one invoice per missed period). */
const MAX_RENEWALS_PER_READ = 36;

export function addInterval(date: Date, interval: Plan['interval'], count = 1): Date {
  const next = new Date(date);
  if (interval === 'YEAR') next.setUTCFullYear(next.getUTCFullYear() + count);
  else next.setUTCMonth(next.getUTCMonth() + count);
  return next;
}

/** Plans, subscriptions and invoices: the rules; providers only do the external part. */
@Injectable()
export class BillingService implements OnApplicationBootstrap {
  constructor(
    private readonly plans: PlansRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly invoices: InvoicesRepository,
    private readonly checkouts: CheckoutSessionsRepository,
    private readonly provider: BillingProvider,
    private readonly cache: AppCache,
    private readonly config: AppConfig,
  ) {}

  /**
   * Plans change through the seed (prisma/seed/plans.json), which runs at boot or before a deploy:
   * a booting instance drops the cached list, so a shared Redis never serves the old one; the
   * `db:seed` CLI drops it too, for instances already running.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.invalidatePlans();
  }

  /** Public, cached; `invalidatePlans()` after any change to the plans. */
  listPlans(): Promise<Plan[]> {
    return this.cache.getOrSet(this.plansKey(), PLANS_CACHE_TTL_SECONDS, () => this.plans.listActive());
  }

  async invalidatePlans(): Promise<void> {
    await this.cache.del(this.plansKey());
  }

  /** The caller's current (or most recent) subscription, settled up to now. */
  async getSubscription(userId: string): Promise<SubscriptionWithPlan> {
    const latest = await this.subscriptions.findLatest(userId);
    if (!latest) throw new NoSubscriptionError();
    return this.settle(latest);
  }

  /** The subscription that grants entitlements now, if any (settled up to now). */
  async findLiveSubscription(userId: string): Promise<SubscriptionWithPlan | null> {
    const live = await this.subscriptions.findLive(userId);
    return live ? this.settle(live) : null;
  }

  async startCheckout(
    user: { id: string; email: string; name: string },
    planCode: string,
    idempotencyKey?: string,
  ): Promise<{ url: string }> {
    const plan = await this.purchasablePlan(planCode);
    if (await this.findLiveSubscription(user.id)) throw new AlreadySubscribedError();
    return this.provider.startCheckout({ user, plan, idempotencyKey: idempotencyKey ?? randomUUID() });
  }

  portalUrl(userId: string): Promise<{ url: string }> {
    return this.provider.portalUrl({ id: userId });
  }

  /** The plan behind a local checkout link, for its confirmation page. */
  async describeLocalCheckout(token: string): Promise<Plan> {
    const session = await this.checkouts.findPending(hashOpaqueToken(token), new Date());
    if (!session) throw new CheckoutLinkInvalidError();
    return session.plan;
  }

  /** Completes a local checkout: the subscription starts at once (trialing when the plan has a trial). */
  async completeLocalCheckout(token: string): Promise<SubscriptionWithPlan> {
    const now = new Date();
    const session = await this.checkouts.findPending(hashOpaqueToken(token), now);
    if (!session || !(await this.checkouts.claim(session.id, now))) throw new CheckoutLinkInvalidError();
    // Settles a live subscription first: one whose period ended canceled no longer counts.
    if (await this.findLiveSubscription(session.userId)) throw new AlreadySubscribedError();
    const { plan } = session;
    const trialing = plan.trialDays > 0;
    const periodEnd = trialing
      ? new Date(now.getTime() + plan.trialDays * 86_400_000)
      : addInterval(now, plan.interval);
    const subscription = await this.subscriptions.createUnlessLive({
      userId: session.userId,
      planId: plan.id,
      provider: 'local',
      status: trialing ? 'TRIALING' : 'ACTIVE',
      currentPeriodStart: now,
      currentPeriodEnd: periodEnd,
      trialEndsAt: trialing ? periodEnd : null,
      providerUpdatedAt: now,
    });
    // Another link of this user was confirmed meanwhile.
    if (!subscription) throw new AlreadySubscribedError();
    if (!trialing) await this.invoicePeriod(subscription, now, periodEnd);
    await this.changed(session.userId);
    return subscription;
  }

  async changePlan(userId: string, planCode: string, idempotencyKey?: string): Promise<SubscriptionWithPlan> {
    const plan = await this.purchasablePlan(planCode);
    const current = await this.requireLive(userId);
    if (current.planId === plan.id) return current;
    await this.provider.changePlan(current, plan, idempotencyKey ?? randomUUID());
    return this.update(userId, current.id, { planId: plan.id, ...this.stamp(current) });
  }

  async cancelAtPeriodEnd(userId: string, idempotencyKey?: string): Promise<SubscriptionWithPlan> {
    const current = await this.requireLive(userId);
    if (current.cancelAtPeriodEnd) return current;
    await this.provider.setCancelAtPeriodEnd(current, true, idempotencyKey ?? randomUUID());
    return this.update(userId, current.id, { cancelAtPeriodEnd: true, ...this.stamp(current) });
  }

  async resume(userId: string, idempotencyKey?: string): Promise<SubscriptionWithPlan> {
    const current = await this.requireLive(userId);
    if (!current.cancelAtPeriodEnd) return current;
    await this.provider.setCancelAtPeriodEnd(current, false, idempotencyKey ?? randomUUID());
    return this.update(userId, current.id, { cancelAtPeriodEnd: false, ...this.stamp(current) });
  }

  async listInvoices(userId: string, page: { cursor?: string | undefined; limit: number }): Promise<Page<Invoice>> {
    const rows = await this.invoices.listForUser(userId, { cursor: page.cursor, take: page.limit + 1 });
    return toPage(rows, page.limit, BY_CREATION);
  }

  async listAllSubscriptions(filter: {
    status?: SubscriptionStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  }): Promise<Page<SubscriptionWithPlan>> {
    const rows = await this.subscriptions.listAll({
      status: filter.status,
      cursor: filter.cursor,
      take: filter.limit + 1,
    });
    return toPage(rows, filter.limit, BY_CREATION);
  }

  /** For changes made elsewhere (provider webhooks): the user's cached entitlements are dropped. */
  subscriptionChanged(userId: string): Promise<void> {
    return this.changed(userId);
  }

  // --- internals -------------------------------------------------------------------------

  private async purchasablePlan(code: string): Promise<Plan> {
    const plan = await this.plans.findByCode(code);
    if (!plan) throw new PlanNotFoundError();
    if (!plan.active || plan.priceCents === 0) throw new PlanNotPurchasableError();
    return plan;
  }

  private async requireLive(userId: string): Promise<SubscriptionWithPlan> {
    const live = await this.findLiveSubscription(userId);
    if (!live) throw new NoSubscriptionError();
    return live;
  }

  private async update(
    userId: string,
    id: string,
    changes: Parameters<SubscriptionsRepository['update']>[2],
  ): Promise<SubscriptionWithPlan> {
    const updated = await this.subscriptions.update(userId, id, changes);
    if (!updated) throw new NoSubscriptionError();
    await this.changed(userId);
    return updated;
  }

  /**
   * Local subscriptions move in time when they are read: at the end of a period a subscription set
   * to cancel ends, a trial becomes paid, and an active one renews with a new invoice. Stripe
   * subscriptions change only through Stripe's webhooks.
   */
  private async settle(subscription: SubscriptionWithPlan): Promise<SubscriptionWithPlan> {
    const now = new Date();
    if (
      subscription.provider !== 'local' ||
      subscription.status === 'CANCELED' ||
      subscription.currentPeriodEnd > now
    ) {
      return subscription;
    }
    if (subscription.cancelAtPeriodEnd) {
      return this.update(subscription.userId, subscription.id, {
        status: 'CANCELED',
        canceledAt: subscription.currentPeriodEnd,
        providerUpdatedAt: now,
      });
    }
    let start = subscription.currentPeriodEnd;
    let end = addInterval(start, subscription.plan.interval);
    await this.invoicePeriod(subscription, start, end);
    for (let i = 1; end <= now && i < MAX_RENEWALS_PER_READ; i++) {
      start = end;
      end = addInterval(start, subscription.plan.interval);
      await this.invoicePeriod(subscription, start, end);
    }
    return this.update(subscription.userId, subscription.id, {
      status: 'ACTIVE',
      currentPeriodStart: start,
      currentPeriodEnd: end,
      providerUpdatedAt: now,
    });
  }

  private async invoicePeriod(subscription: SubscriptionWithPlan, periodStart: Date, periodEnd: Date): Promise<void> {
    const sequence = (await this.invoices.countForUser(subscription.userId)) + 1;
    await this.invoices.create({
      userId: subscription.userId,
      subscriptionId: subscription.id,
      provider: 'local',
      number: `LOCAL-${subscription.userId.slice(0, 8).toUpperCase()}-${String(sequence).padStart(4, '0')}`,
      amountCents: subscription.plan.priceCents,
      currency: subscription.plan.currency,
      status: 'PAID',
      hostedUrl: null,
      periodStart,
      periodEnd,
    });
  }

  /**
   * The time of a change made here. A local subscription is its own provider; a provider's keeps the
   * provider's time, so the webhook that reports this very change (stamped by the provider's clock,
   * to the second) is still newer and applies.
   */
  private stamp(subscription: SubscriptionWithPlan): { providerUpdatedAt?: Date } {
    return subscription.provider === 'local' ? { providerUpdatedAt: new Date() } : {};
  }

  /** Any subscription change: the cached entitlements of that user are stale. */
  private async changed(userId: string): Promise<void> {
    await this.cache.del(this.cache.key('billing', 'entitlements', userId));
  }

  private plansKey(): string {
    return this.cache.key(...PLANS_CACHE_KEY);
  }
}
