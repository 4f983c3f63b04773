import type { Plan } from '@app/database';
import type { SubscriptionWithPlan } from './subscriptions.repository.js';

export interface CheckoutInput {
  user: { id: string; email: string; name: string };
  plan: Plan;
  /** The trial to offer: the plan's, or 0 when the user already had one (trials are once per user). */
  trialDays: number;
  /** Passed on to the provider, so a retried request never creates two checkouts. */
  idempotencyKey: string;
}

/** How a plan change treats a running trial (the rest of the change is the provider's proration). */
export interface PlanChangeTerms {
  /** `now` ends the trial at once; a date ends it earlier than planned; absent, the trial is left as it is. */
  trialEnd?: Date | 'now';
}

/**
 * Where payments happen. Two implementations, chosen by `BILLING_PROVIDER`: `local` (no external
 * service; the default) and `stripe`. Local state is changed by BillingService, from the
 * provider's answer (local, Stripe API responses) or its webhooks (Stripe), and by the local
 * provider's {@link BillingProvider.settle} for the subscriptions it keeps.
 */
export abstract class BillingProvider {
  abstract readonly name: 'local' | 'stripe';

  /**
   * True when this API keeps the only record of the provider's subscriptions (local): a change made
   * here is stamped with this API's clock and written with the invoices it makes. False when the
   * provider keeps its own and reports it through webhooks (Stripe): a change made here keeps the
   * provider's time, and the provider's invoices and state arrive later and overwrite it.
   */
  abstract readonly recordsHere: boolean;

  /**
   * One of this provider's subscriptions, brought up to date when it is read. A provider that
   * reports its changes through webhooks leaves it as it is.
   */
  settle(subscription: SubscriptionWithPlan): Promise<SubscriptionWithPlan> {
    return Promise.resolve(subscription);
  }

  /** A URL to send the user to, where they pay and the subscription starts. */
  abstract startCheckout(input: CheckoutInput): Promise<{ url: string }>;

  /** A URL where the user manages payment methods and invoices. */
  abstract portalUrl(user: { id: string }): Promise<{ url: string }>;

  /** Switches the subscription to another plan at the provider, prorated and invoiced at once. */
  abstract changePlan(
    subscription: SubscriptionWithPlan,
    plan: Plan,
    idempotencyKey: string,
    terms: PlanChangeTerms,
  ): Promise<void>;

  /** Sets or clears cancellation at the end of the current period at the provider. */
  abstract setCancelAtPeriodEnd(
    subscription: SubscriptionWithPlan,
    cancel: boolean,
    idempotencyKey: string,
  ): Promise<void>;
}

/**
 * The provider new checkouts and changes go to (`inUse`), and each subscription's own: a
 * subscription stays with the provider it was made with, so one made before `BILLING_PROVIDER`
 * changed is still kept by its provider's rules.
 */
export class BillingProviders {
  constructor(
    readonly inUse: BillingProvider,
    private readonly all: readonly BillingProvider[],
  ) {}

  /** See {@link BillingProvider.settle}; a subscription of a provider this app no longer has stays as it is. */
  settle(subscription: SubscriptionWithPlan): Promise<SubscriptionWithPlan> {
    return this.of(subscription)?.settle(subscription) ?? Promise.resolve(subscription);
  }

  /** See {@link BillingProvider.recordsHere}. */
  recordsHere(subscription: SubscriptionWithPlan): boolean {
    return this.of(subscription)?.recordsHere ?? false;
  }

  private of(subscription: SubscriptionWithPlan): BillingProvider | undefined {
    return this.all.find((provider) => provider.name === subscription.provider);
  }
}
