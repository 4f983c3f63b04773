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
 * provider's answer (local, Stripe API responses) or its webhooks (Stripe).
 */
export abstract class BillingProvider {
  abstract readonly name: 'local' | 'stripe';

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
