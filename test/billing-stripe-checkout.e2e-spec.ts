import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingProvider } from '../apps/api/src/billing/subscriptions/billing-provider.js';
import { registerAndLogin } from './utils/auth.js';
import { stripeEvent, stripeSubscription, unixNow } from './utils/stripe-events.js';
import { STRIPE_TEST_SECRET_KEY as SECRET_KEY } from './utils/billing.js';
import { FRONTEND_URL, StripeBillingApp } from './utils/stripe-billing.js';

describe('billing with the Stripe provider: checkout and portal (e2e)', () => {
  const h = new StripeBillingApp();
  const { post, checkout, since, deliverEvent, subscribedAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  it('is the provider in use', () => {
    expect(h.t.app.get(BillingProvider).name).toBe('stripe');
  });

  describe('checkout', () => {
    it('creates the Stripe customer, then a subscription Checkout Session, and returns its URL', async () => {
      const account = await registerAndLogin(h.t.app, { name: 'Ada Lovelace' });
      const mark = h.fake.requests.length;

      const res = await checkout(account, 'pro');

      expect(res.statusCode).toBe(200);
      const [customerCall, sessionCall, ...rest] = since(mark);
      expect(rest).toEqual([]);
      expect(customerCall).toMatchObject({
        method: 'POST',
        path: '/v1/customers',
        body: { email: account.email, name: 'Ada Lovelace', metadata: { userId: account.id } },
        headers: { authorization: `Bearer ${SECRET_KEY}`, 'idempotency-key': `customer:${account.id}` },
      });
      const customer = (await h.prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
        .providerCustomerId;
      expect(customer).toMatch(/^cus_/);
      expect(sessionCall).toMatchObject({
        method: 'POST',
        path: '/v1/checkout/sessions',
        headers: { authorization: `Bearer ${SECRET_KEY}` },
      });
      expect(sessionCall?.body).toEqual({
        mode: 'subscription',
        customer,
        client_reference_id: account.id,
        metadata: { userId: account.id },
        line_items: [{ price: 'price_pro_monthly', quantity: '1' }],
        subscription_data: { metadata: { userId: account.id }, trial_period_days: '14' },
        success_url: `${FRONTEND_URL}/billing/success`,
        cancel_url: `${FRONTEND_URL}/billing/cancel`,
      });
      expect(sessionCall?.headers['idempotency-key']).toEqual(expect.any(String));
      expect(res.json()).toEqual({ url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/) });
      expect(res.json().url).toBe(`https://checkout.stripe.com/c/pay/${res.json().url.split('/').pop()}`);
    });

    it('offers no trial on a plan without one', async () => {
      const account = await registerAndLogin(h.t.app);
      const mark = h.fake.requests.length;

      expect((await checkout(account, 'business')).statusCode).toBe(200);

      const session = since(mark).find((request) => request.path === '/v1/checkout/sessions');
      expect(session?.body).toMatchObject({ line_items: [{ price: 'price_business_yearly', quantity: '1' }] });
      expect(session?.body.subscription_data).toEqual({ metadata: { userId: account.id } });
    });

    it('offers no trial to a user who had one, though it was cancelled', async () => {
      const account = await subscribedAccount('price_pro_monthly', {
        status: 'trialing',
        trialEnd: unixNow() + 10 * 86_400,
      });
      const ended = stripeSubscription({
        id: account.subscriptionId,
        customer: account.customer,
        priceId: 'price_pro_monthly',
        status: 'canceled',
        trialEnd: unixNow() + 10 * 86_400,
        endedAt: unixNow(),
      });
      await deliverEvent(stripeEvent('customer.subscription.deleted', ended));
      const mark = h.fake.requests.length;

      expect((await checkout(account, 'pro')).statusCode).toBe(200);

      const session = since(mark).find((request) => request.path === '/v1/checkout/sessions');
      expect(session?.body).toMatchObject({ line_items: [{ price: 'price_pro_monthly', quantity: '1' }] });
      expect(session?.body.subscription_data).toEqual({ metadata: { userId: account.id } });
    });

    it('reuses the customer on a retry, with a fresh session each time', async () => {
      const account = await registerAndLogin(h.t.app);
      const first = await checkout(account, 'pro');
      const mark = h.fake.requests.length;

      const retry = await checkout(account, 'pro');

      expect(retry.statusCode).toBe(200);
      expect(since(mark).map((request) => request.path)).toEqual(['/v1/checkout/sessions']);
      const customer = (await h.prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
        .providerCustomerId;
      expect(since(mark)[0]?.body.customer).toBe(customer);
      expect(await h.prisma.billingCustomer.count({ where: { userId: account.id } })).toBe(1);
      expect(retry.json().url).not.toBe(first.json().url);
    });

    it("passes the client's Idempotency-Key on to Stripe, scoped to the user and the operation", async () => {
      const account = await registerAndLogin(h.t.app);
      const mark = h.fake.requests.length;

      expect((await checkout(account, 'pro', { 'idempotency-key': 'order-42' })).statusCode).toBe(200);

      const session = since(mark).find((request) => request.path === '/v1/checkout/sessions');
      expect(session?.headers['idempotency-key']).toBe(`${account.id}:checkout:order-42`);
    });

    it('refuses a second subscription before calling Stripe', async () => {
      const account = await subscribedAccount();
      const mark = h.fake.requests.length;

      const res = await checkout(account, 'business');

      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'ALREADY_SUBSCRIBED' });
      expect(since(mark)).toEqual([]);
    });
  });

  describe('portal', () => {
    it('opens a Billing Portal session for the customer, returning to the web app', async () => {
      const account = await registerAndLogin(h.t.app);
      await checkout(account, 'pro');
      const customer = (await h.prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
        .providerCustomerId;
      const mark = h.fake.requests.length;

      const res = await post('/v1/billing/portal', account);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ url: expect.stringMatching(/^https:\/\/billing\.stripe\.com\/p\/session\//) });
      const [call, ...rest] = since(mark);
      expect(rest).toEqual([]);
      expect(call).toMatchObject({
        method: 'POST',
        path: '/v1/billing_portal/sessions',
        body: { customer, return_url: `${FRONTEND_URL}/billing` },
      });
      expect(call?.headers['idempotency-key']).toEqual(expect.any(String));
    });

    it('answers 404 NO_SUBSCRIPTION to a user who never checked out', async () => {
      const account = await registerAndLogin(h.t.app);
      const mark = h.fake.requests.length;

      const res = await post('/v1/billing/portal', account);

      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NO_SUBSCRIPTION' });
      expect(since(mark)).toEqual([]);
    });
  });
});
