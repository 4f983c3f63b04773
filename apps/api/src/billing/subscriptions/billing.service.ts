import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppCache } from '@app/cache';
import { AppConfig } from '@app/config';
import { BY_CREATION, hashOpaqueToken, toPage, type Page } from '@app/common';
import type { Plan, SubscriptionStatus } from '@app/database';
import { BillingProvider } from './billing-provider.js';
import { PLANS_CACHE_KEY } from '../entitlements/plan-rules.js';
import { UserNotFoundError } from '../../users/users.errors.js';
import { BillingCustomersRepository } from './billing-customers.repository.js';
import { addInterval, localFirstPeriod, periodInvoice, planChange, trialDaysFor } from './billing-terms.js';
import {
  AlreadySubscribedError,
  CheckoutLinkInvalidError,
  NoSubscriptionError,
  PlanCurrencyMismatchError,
  PlanNotFoundError,
  PlanNotPurchasableError,
  SubscriptionChangedError,
} from '../billing.errors.js';
import {
  toAdminSubscriptionResponse,
  toInvoiceResponse,
  toPlanResponse,
  toSubscriptionResponse,
} from './billing.responses.js';
import { CheckoutSessionsRepository } from '../local/checkout-sessions.repository.js';
import type { InvoiceResponseDto } from './dto/invoice-response.dto.js';
import type { PlanResponseDto } from './dto/plan-response.dto.js';
import type { AdminSubscriptionResponseDto, SubscriptionResponseDto } from './dto/subscription-response.dto.js';
import { InvoicesRepository } from './invoices.repository.js';
import { PlansRepository } from './plans.repository.js';
import {
  SubscriptionsRepository,
  type LocalInvoiceDraft,
  type SubscriptionChanges,
  type SubscriptionWithPlan,
} from './subscriptions.repository.js';

/** Plans change only through the seed, which drops the cached list in Redis; this bounds what it cannot reach. */
const PLANS_CACHE_TTL_SECONDS = 300;
/** Bounds the catch-up of a long-idle local subscription (one invoice per missed period). */
const MAX_RENEWALS_PER_READ = 36;

/** Plans, subscriptions and invoices: the rules; providers only do the external part. */
@Injectable()
export class BillingService implements OnApplicationBootstrap {
  constructor(
    private readonly plans: PlansRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly invoices: InvoicesRepository,
    private readonly checkouts: CheckoutSessionsRepository,
    private readonly customers: BillingCustomersRepository,
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
    return this.provider.startCheckout({ user, plan, trialDays, idempotencyKey: idempotencyKey ?? randomUUID() });
  }

  portalUrl(userId: string): Promise<{ url: string }> {
    return this.provider.portalUrl({ id: userId });
  }

  /** The plan behind a local checkout link and the trial it would start with, for its confirmation page. */
  async describeLocalCheckout(token: string): Promise<{ plan: Plan; trialDays: number }> {
    const session = await this.pendingCheckout(token, new Date());
    return {
      plan: session.plan,
      trialDays: trialDaysFor(session.plan, await this.subscriptions.hasHadTrial(session.userId)),
    };
  }

  /**
   * Completes a local checkout: the subscription starts at once, trialing when the plan has a trial
   * and the user never had one. A plan retired since the link was issued is refused.
   */
  async completeLocalCheckout(token: string): Promise<SubscriptionWithPlan> {
    const now = new Date();
    const session = await this.pendingCheckout(token, now);
    if (!(await this.checkouts.claim(session.id, now))) throw new CheckoutLinkInvalidError();
    // Settles a live subscription first: one whose period ended canceled no longer counts.
    if (await this.findLiveSubscription(session.userId)) throw new AlreadySubscribedError();
    const { plan } = session;
    // The trial is decided under the user's lock: two links confirmed at once cannot both start one.
    const subscription = await this.subscriptions.createUnlessLive(session.userId, ({ hadTrial }) =>
      localFirstPeriod(plan, trialDaysFor(plan, hadTrial), now),
    );
    // Another link of this user was confirmed meanwhile.
    if (!subscription) throw new AlreadySubscribedError();
    await this.changed(session.userId);
    return subscription;
  }

  async changePlan(userId: string, planCode: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const plan = await this.purchasablePlan(planCode);
    const current = await this.requireLive(userId);
    if (current.planId === plan.id) return toSubscriptionResponse(current);
    if (plan.currency !== current.plan.currency) throw new PlanCurrencyMismatchError();
    const now = new Date();
    const change = planChange(current, plan, now);
    await this.provider.changePlan(current, plan, idempotencyKey ?? randomUUID(), change.terms);
    // Stripe's own invoices and state arrive through its webhooks, which overwrite what is set here.
    if (current.provider !== 'local')
      return toSubscriptionResponse(await this.update(userId, current.id, change.changes));
    const changed = await this.transition(
      current,
      { ...change.changes, providerUpdatedAt: now },
      change.invoice ? [change.invoice] : [],
    );
    if (!changed) throw new SubscriptionChangedError();
    return toSubscriptionResponse(changed);
  }

  async cancelAtPeriodEnd(userId: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const current = await this.requireLive(userId);
    if (current.cancelAtPeriodEnd) return toSubscriptionResponse(current);
    await this.provider.setCancelAtPeriodEnd(current, true, idempotencyKey ?? randomUUID());
    return toSubscriptionResponse(
      await this.update(userId, current.id, { cancelAtPeriodEnd: true, ...this.stamp(current) }),
    );
  }

  async resume(userId: string, idempotencyKey?: string): Promise<SubscriptionResponseDto> {
    const current = await this.requireLive(userId);
    if (!current.cancelAtPeriodEnd) return toSubscriptionResponse(current);
    await this.provider.setCancelAtPeriodEnd(current, false, idempotencyKey ?? randomUUID());
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

  /** The pending session behind a local checkout link, for a plan still on sale. */
  private async pendingCheckout(token: string, now: Date): Promise<{ id: string; userId: string; plan: Plan }> {
    const session = await this.checkouts.findPending(hashOpaqueToken(token), now);
    if (!session) throw new CheckoutLinkInvalidError();
    assertPurchasable(session.plan);
    return session;
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
    const ended = subscription.cancelAtPeriodEnd
      ? await this.transition(
          subscription,
          { status: 'CANCELED', canceledAt: subscription.currentPeriodEnd, providerUpdatedAt: now },
          [],
        )
      : await this.renew(subscription, now);
    if (ended) return ended;
    // A concurrent read moved it first: its state is the settled one.
    const fresh = await this.subscriptions.findById(subscription.userId, subscription.id);
    if (!fresh) throw new NoSubscriptionError();
    return this.settle(fresh);
  }

  /** Every period ended since (a trial's too) is renewed on the plan's price, one invoice each. */
  private renew(subscription: SubscriptionWithPlan, now: Date): Promise<SubscriptionWithPlan | null> {
    const invoices: LocalInvoiceDraft[] = [];
    let start = subscription.currentPeriodEnd;
    let end = addInterval(start, subscription.plan.interval);
    invoices.push(periodInvoice(subscription.plan, start, end));
    for (let i = 1; end <= now && i < MAX_RENEWALS_PER_READ; i++) {
      start = end;
      end = addInterval(start, subscription.plan.interval);
      invoices.push(periodInvoice(subscription.plan, start, end));
    }
    return this.transition(
      subscription,
      { status: 'ACTIVE', currentPeriodStart: start, currentPeriodEnd: end, providerUpdatedAt: now },
      invoices,
    );
  }

  /**
   * Applies a local change computed from `from`, with its invoices, in one transaction; null when a
   * concurrent request changed the subscription first (nothing is then written).
   */
  private async transition(
    from: SubscriptionWithPlan,
    changes: SubscriptionChanges,
    invoices: LocalInvoiceDraft[],
  ): Promise<SubscriptionWithPlan | null> {
    const updated = await this.subscriptions.transition(from.userId, from.id, from, changes, invoices);
    if (updated) await this.changed(from.userId);
    return updated;
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

/** Free plans are not bought, and retired ones (`active: false`) no longer are. */
function assertPurchasable(plan: Plan): void {
  if (!plan.active || plan.priceCents === 0) throw new PlanNotPurchasableError();
}
