import { expect } from 'vitest';
import { registerAndLogin, type TestAccount } from './auth.js';
import { fakeId } from './fake-stripe.js';
import { stripeEvent, stripeSubscription, unixNow, type SubscriptionOptions } from './stripe-events.js';
import { StripeTestApp } from './billing.js';

type Json = Record<string, unknown>;

/** The Stripe prices of the seeded plans. */
export const PRO_PRICE = 'price_pro_monthly';
export const BUSINESS_PRICE = 'price_business_yearly';

/**
 * The Stripe test app (past-due grace period 1 h) that webhook tests deliver signed events
 * to, and the helpers to read what the events changed.
 */
export class StripeWebhookApp extends StripeTestApp {
  constructor() {
    super({ BILLING_PAST_DUE_GRACE_PERIOD: '1h' });
  }

  readonly send = (event: Json) => this.deliver(JSON.stringify(event));

  readonly entitlementsOf = async (account: TestAccount) =>
    (await this.t.app.inject({ method: 'GET', url: '/v1/billing/entitlements', headers: account.auth })).json();

  readonly stored = (providerSubscriptionId: string) =>
    this.prisma.subscription.findFirst({
      where: { provider: 'stripe', providerSubscriptionId },
      include: { plan: true },
    });

  readonly recorded = (eventId: string) => this.prisma.webhookEvent.findUnique({ where: { id: eventId } });

  readonly subscriptionEvent = (
    type: string,
    options: SubscriptionOptions,
    event: { id?: string; created?: number } = {},
  ) => stripeEvent(type, stripeSubscription(options), event);

  /** A user whose Stripe customer is known here (as after POST /v1/billing/checkout). */
  readonly customerAccount = async (): Promise<TestAccount & { customer: string }> => {
    const account = await registerAndLogin(this.t.app);
    const customer = fakeId('cus_');
    await this.prisma.billingCustomer.create({
      data: { userId: account.id, provider: 'stripe', providerCustomerId: customer },
    });
    return { ...account, customer };
  };

  /** A user with an active Pro subscription at Stripe, stored here through its created event. */
  readonly subscribedAccount = async (created = unixNow() - 100) => {
    const account = await this.customerAccount();
    const subscriptionId = fakeId('sub_');
    const res = await this.send(
      this.subscriptionEvent(
        'customer.subscription.created',
        { id: subscriptionId, customer: account.customer, priceId: PRO_PRICE },
        { created },
      ),
    );
    expect(res.statusCode).toBe(200);
    return { ...account, subscriptionId };
  };
}
