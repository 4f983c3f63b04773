import { Injectable } from '@nestjs/common';
import { AppCache } from '@app/redis';
import { newOpaqueToken } from '@app/common';
import { AppConfig } from '@app/config';
import { NoSubscriptionError } from '../billing.errors.js';
import { entitlementsCacheKey } from '../entitlements/entitlements.js';
import { BillingProvider, type CheckoutInput } from '../subscriptions/billing-provider.js';
import { addInterval, periodInvoice } from '../subscriptions/billing-terms.js';
import {
  SubscriptionsRepository,
  type LocalInvoiceDraft,
  type SubscriptionChanges,
  type SubscriptionWithPlan,
} from '../subscriptions/subscriptions.repository.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';

/** Bounds the catch-up of a long-idle local subscription (one invoice per missed period). */
const MAX_RENEWALS_PER_READ = 36;

/**
 * No external service: checkout is a page served by this API, reached through a single-use,
 * expiring link (the link carries its own 256-bit token, since a browser sends no bearer header).
 * Plan changes and cancellation need nothing outside our database, and a local subscription is
 * its own provider: it moves in time when it is read.
 */
@Injectable()
export class LocalBillingProvider extends BillingProvider {
  readonly name = 'local' as const;
  readonly recordsHere = true;

  constructor(
    private readonly checkouts: CheckoutSessionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly cache: AppCache,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async startCheckout(input: CheckoutInput): Promise<{ url: string }> {
    const { token, hash } = newOpaqueToken();
    await this.checkouts.create({
      userId: input.user.id,
      planId: input.plan.id,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + this.config.billing.localCheckoutTtlSeconds * 1000),
    });
    return { url: `${this.config.app.publicUrl}/v1/billing/local-checkout/${token}` };
  }

  async portalUrl(): Promise<{ url: string }> {
    // No hosted portal: the web app's own billing page drives the API's change/cancel routes.
    return { url: `${this.config.app.frontendUrl}/billing` };
  }

  async changePlan(): Promise<void> {}

  async setCancelAtPeriodEnd(): Promise<void> {}

  /**
   * At the end of a period a subscription set to cancel ends, a trial becomes paid, and an active
   * one renews with a new invoice.
   */
  override async settle(subscription: SubscriptionWithPlan): Promise<SubscriptionWithPlan> {
    const now = new Date();
    if (subscription.status === 'CANCELED' || subscription.currentPeriodEnd > now) return subscription;
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
   * Applies a change computed from `from`, with its invoices, in one transaction, and drops the
   * user's cached entitlements; null when a concurrent request changed the subscription first
   * (nothing is then written).
   */
  private async transition(
    from: SubscriptionWithPlan,
    changes: SubscriptionChanges,
    invoices: LocalInvoiceDraft[],
  ): Promise<SubscriptionWithPlan | null> {
    const updated = await this.subscriptions.transition(from.userId, from.id, from, changes, invoices);
    if (updated) await this.cache.del(this.cache.key(...entitlementsCacheKey(from.userId)));
    return updated;
  }
}
