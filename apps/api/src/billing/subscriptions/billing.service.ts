import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppCache } from '@app/redis';
import { AppConfig } from '@app/config';
import { BY_CREATION, toPage, type Page } from '@app/common';
import type { Plan, SubscriptionStatus } from '@app/database';
import { UserNotFoundError } from '../../users/users.errors.js';
import {
  AlreadySubscribedError,
  NoSubscriptionError,
  PlanCurrencyMismatchError,
  PlanNotFoundError,
  SubscriptionChangedError,
} from '../billing.errors.js';
import { entitlementsCacheKey } from '../entitlements/entitlements.js';
import { PLANS_CACHE_KEY } from '../entitlements/plan-rules.js';
import { BillingCustomersRepository } from './billing-customers.repository.js';
import { BillingProviders } from './billing-provider.js';
import { assertPurchasable, planChange, trialDaysFor } from './billing-terms.js';
import {
  toAdminSubscriptionResponse,
  toInvoiceResponse,
  toPlanResponse,
  toSubscriptionResponse,
} from './billing.responses.js';
import type { InvoiceResponseDto } from './dto/invoice-response.dto.js';
import type { PlanResponseDto } from './dto/plan-response.dto.js';
import type { AdminSubscriptionResponseDto, SubscriptionResponseDto } from './dto/subscription-response.dto.js';
import { InvoicesRepository } from './invoices.repository.js';
import { PlansRepository } from './plans.repository.js';
import { SubscriptionsRepository, type SubscriptionWithPlan } from './subscriptions.repository.js';

/** Plans change only through the seed, which drops the cached list in Redis; this bounds what it cannot reach. */
const PLANS_CACHE_TTL_SECONDS = 300;

/** Plans, subscriptions and invoices: the rules; providers only do the external part. */
@Injectable()
export class BillingService implements OnApplicationBootstrap {
  constructor(
    private readonly plans: PlansRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly invoices: InvoicesRepository,
    private readonly customers: BillingCustomersRepository,
    private readonly providers: BillingProviders,
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
  async listPlans(): Promise<PlanResponseDto[]> {
    const plans = await this.cache.getOrSet(this.plansKey(), PLANS_CACHE_TTL_SECONDS, () => this.plans.listActive());
    return plans.map(toPlanResponse);
  }

  async invalidatePlans(): Promise<void> {
    await this.cache.del(this.plansKey());
  }

  /** The caller's current (or most recent) subscription, settled up to now. */
  async getSubscription(userId: string): Promise<SubscriptionResponseDto> {
    const latest = await this.subscriptions.findLatest(userId);
    if (!latest) throw new NoSubscriptionError();
    return toSubscriptionResponse(await this.settle(latest));
  }

  /** The subscription that grants entitlements now, if any (settled up to now). */
  async findLiveSubscription(userId: string): Promise<SubscriptionWithPlan | null> {
    const live = await this.subscriptions.findLive(userId);
    return live ? this.settle(live) : null;
  }

  async startCheckout(userId: string, planCode: string, idempotencyKey?: string): Promise<{ url: string }> {
    const user = await this.customers.findContact(userId);
    if (!user) throw new UserNotFoundError();
    const plan = await this.purchasablePlan(planCode);
    if (await this.findLiveSubscription(user.id)) throw new AlreadySubscribedError();
    const trialDays = trialDaysFor(plan, await this.subscriptions.hasHadTrial(user.id));
    return this.providers.inUse.startCheckout({
      user,
      plan,
      trialDays,
      idempotencyKey: idempotencyKey ?? randomUUID(),
    });
  }

  portalUrl(userId: string): Promise<{ url: string }> {
    return this.providers.inUse.portalUrl({ id: userId });
  }

  async changePlan(userId: string, planCode: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const plan = await this.purchasablePlan(planCode);
    const current = await this.requireLive(userId);
    if (current.planId === plan.id) return toSubscriptionResponse(current);
    if (plan.currency !== current.plan.currency) throw new PlanCurrencyMismatchError();
    const now = new Date();
    const change = planChange(current, plan, now);
    await this.providers.inUse.changePlan(current, plan, idempotencyKey ?? randomUUID(), change.terms);
    // A provider's own invoices and state arrive through its webhooks, which overwrite what is set here.
    if (!this.providers.recordsHere(current))
      return toSubscriptionResponse(await this.update(userId, current.id, change.changes));
    const changed = await this.subscriptions.transition(
      userId,
      current.id,
      current,
      { ...change.changes, providerUpdatedAt: now },
      change.invoice ? [change.invoice] : [],
    );
    if (!changed) throw new SubscriptionChangedError();
    await this.changed(userId);
    return toSubscriptionResponse(changed);
  }

  async cancelAtPeriodEnd(userId: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const current = await this.requireLive(userId);
    if (current.cancelAtPeriodEnd) return toSubscriptionResponse(current);
    await this.providers.inUse.setCancelAtPeriodEnd(current, true, idempotencyKey ?? randomUUID());
    return toSubscriptionResponse(
      await this.update(userId, current.id, { cancelAtPeriodEnd: true, ...this.stamp(current) }),
    );
  }

  async resume(userId: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const current = await this.requireLive(userId);
    if (!current.cancelAtPeriodEnd) return toSubscriptionResponse(current);
    await this.providers.inUse.setCancelAtPeriodEnd(current, false, idempotencyKey ?? randomUUID());
    return toSubscriptionResponse(
      await this.update(userId, current.id, { cancelAtPeriodEnd: false, ...this.stamp(current) }),
    );
  }

  async listInvoices(
    userId: string,
    page: { cursor?: string | undefined; limit: number },
  ): Promise<Page<InvoiceResponseDto>> {
    const rows = await this.invoices.listForUser(userId, { cursor: page.cursor, take: page.limit + 1 });
    const found = toPage(rows, page.limit, BY_CREATION);
    return { items: found.items.map(toInvoiceResponse), nextCursor: found.nextCursor };
  }

  async listAllSubscriptions(filter: {
    status?: SubscriptionStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  }): Promise<Page<AdminSubscriptionResponseDto>> {
    const rows = await this.subscriptions.listAll({
      status: filter.status,
      cursor: filter.cursor,
      take: filter.limit + 1,
    });
    const page = toPage(rows, filter.limit, BY_CREATION);
    return { items: page.items.map(toAdminSubscriptionResponse), nextCursor: page.nextCursor };
  }

  /** For changes made elsewhere (provider webhooks): the user's cached entitlements are dropped. */
  subscriptionChanged(userId: string): Promise<void> {
    return this.changed(userId);
  }

  // --- internals -------------------------------------------------------------------------

  private async purchasablePlan(code: string): Promise<Plan> {
    const plan = await this.plans.findByCode(code);
    if (!plan) throw new PlanNotFoundError();
    assertPurchasable(plan);
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

  /** Brought up to date by its provider's rules (a local subscription moves in time when read). */
  private settle(subscription: SubscriptionWithPlan): Promise<SubscriptionWithPlan> {
    return this.providers.settle(subscription);
  }

  /**
   * The time of a change made here. A subscription recorded only here takes this API's clock; a
   * provider's keeps the provider's time, so the webhook that reports this very change (stamped by
   * the provider's clock, to the second) is still newer and applies.
   */
  private stamp(subscription: SubscriptionWithPlan): { providerUpdatedAt?: Date } {
    return this.providers.recordsHere(subscription) ? { providerUpdatedAt: new Date() } : {};
  }

  /** Any subscription change: the cached entitlements of that user are stale. */
  private async changed(userId: string): Promise<void> {
    await this.cache.del(this.cache.key(...entitlementsCacheKey(userId)));
  }

  private plansKey(): string {
    return this.cache.key(...PLANS_CACHE_KEY);
  }
}
