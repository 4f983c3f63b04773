import { expect } from 'vitest';
import { registerAndLogin, type TestAccount } from './auth.js';
import { fakeId } from './fake-stripe.js';
import { stripeEvent, stripeSubscription, unixNow, type SubscriptionOptions } from './stripe-events.js';
import { StripeTestApp } from './billing.js';

/** Where the Stripe test app sends its users back to. */
export const FRONTEND_URL = 'https://app.example.com';

/**
 * The Stripe test app (Stripe must answer within 400 ms), and the calls of the tests of
 * billing through Stripe: checkout, subscribed users, acknowledged webhook events.
 */
export class StripeBillingApp extends StripeTestApp {
  constructor() {
    super({ STRIPE_TIMEOUT_MS: '400', FRONTEND_URL });
  }

  readonly post = (
    url: string,
    account: TestAccount,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) =>
    this.t.app.inject({
      method: 'POST',
      url,
      headers: { ...account.auth, ...headers },
      ...(payload ? { payload } : {}),
    });
  readonly checkout = (account: TestAccount, planCode: string, headers?: Record<string, string>) =>
    this.post('/v1/billing/checkout', account, { planCode }, headers);
  /** The requests the fake received since `mark` (`fake.requests.length` taken earlier). */
  readonly since = (mark: number) => this.fake.requests.slice(mark);

  /** Delivers a signed webhook event, which must be acknowledged. */
  readonly deliverEvent = async (event: Record<string, unknown>) => {
    expect((await this.deliver(JSON.stringify(event))).statusCode).toBe(200);
  };

  /** A user with a Stripe subscription, as after checkout: customer linked, subscription known to Stripe and here. */
  readonly subscribedAccount = async (
    planPrice = 'price_pro_monthly',
    state: Pick<SubscriptionOptions, 'status' | 'trialEnd'> = {},
  ) => {
    const account = await registerAndLogin(this.t.app);
    expect((await this.checkout(account, 'pro')).statusCode).toBe(200);
    const customer = (await this.prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
      .providerCustomerId;
    const subscriptionId = fakeId('sub_');
    const subscription = stripeSubscription({
      id: subscriptionId,
      customer,
      priceId: planPrice,
      userId: account.id,
      ...state,
    });
    this.fake.putSubscription(subscription);
    await this.deliverEvent(stripeEvent('customer.subscription.created', subscription, { created: unixNow() - 60 }));
    return { ...account, customer, subscriptionId, itemId: `si_${subscriptionId.replace(/^sub_/, '')}` };
  };
}
