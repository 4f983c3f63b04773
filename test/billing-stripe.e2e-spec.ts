import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PrismaService } from '@app/database';
import { BillingProvider } from '../apps/api/src/billing/subscriptions/billing-provider.js';
import { registerAndLogin, type TestAccount } from './utils/auth.js';
import { seedTestPlans, STRIPE_TEST_SECRET_KEY as SECRET_KEY, stripeTestEnv } from './utils/billing.js';
import { fakeId, startFakeStripe, type FakeStripe } from './utils/fake-stripe.js';
import {
  signature,
  stripeEvent,
  stripeSubscription,
  unixNow,
  WEBHOOK_PATH,
  type SubscriptionOptions,
} from './utils/stripe-events.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const FRONTEND_URL = 'https://app.example.com';

describe('billing with the Stripe provider (e2e)', () => {
  let fake: FakeStripe;
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    fake = await startFakeStripe();
    t = await createTestApp({ env: stripeTestEnv(fake, { STRIPE_TIMEOUT_MS: '400', FRONTEND_URL }) });
    prisma = t.app.get(PrismaService);
    await seedTestPlans(t);
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const post = (
    url: string,
    account: TestAccount,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => t.app.inject({ method: 'POST', url, headers: { ...account.auth, ...headers }, ...(payload ? { payload } : {}) });
  const checkout = (account: TestAccount, planCode: string, headers?: Record<string, string>) =>
    post('/v1/billing/checkout', account, { planCode }, headers);
  /** The requests the fake received since `mark` (`fake.requests.length` taken earlier). */
  const since = (mark: number) => fake.requests.slice(mark);

  /** Delivers a signed webhook event. */
  async function deliver(event: Record<string, unknown>) {
    const payload = JSON.stringify(event);
    const res = await t.app.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature(payload) },
      payload,
    });
    expect(res.statusCode).toBe(200);
  }

  /** A user with a Stripe subscription, as after checkout: customer linked, subscription known to Stripe and here. */
  async function subscribedAccount(
    planPrice = 'price_pro_monthly',
    state: Pick<SubscriptionOptions, 'status' | 'trialEnd'> = {},
  ) {
    const account = await registerAndLogin(t.app);
    expect((await checkout(account, 'pro')).statusCode).toBe(200);
    const customer = (await prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
      .providerCustomerId;
    const subscriptionId = fakeId('sub_');
    const subscription = stripeSubscription({
      id: subscriptionId,
      customer,
      priceId: planPrice,
      userId: account.id,
      ...state,
    });
    fake.putSubscription(subscription);
    await deliver(stripeEvent('customer.subscription.created', subscription, { created: unixNow() - 60 }));
    return { ...account, customer, subscriptionId, itemId: `si_${subscriptionId.replace(/^sub_/, '')}` };
  }

  it('is the provider in use', () => {
    expect(t.app.get(BillingProvider).name).toBe('stripe');
  });

  describe('checkout', () => {
    it('creates the Stripe customer, then a subscription Checkout Session, and returns its URL', async () => {
      const account = await registerAndLogin(t.app, { name: 'Ada Lovelace' });
      const mark = fake.requests.length;

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
      const customer = (await prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
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
      const account = await registerAndLogin(t.app);
      const mark = fake.requests.length;

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
      await deliver(stripeEvent('customer.subscription.deleted', ended));
      const mark = fake.requests.length;

      expect((await checkout(account, 'pro')).statusCode).toBe(200);

      const session = since(mark).find((request) => request.path === '/v1/checkout/sessions');
      expect(session?.body).toMatchObject({ line_items: [{ price: 'price_pro_monthly', quantity: '1' }] });
      expect(session?.body.subscription_data).toEqual({ metadata: { userId: account.id } });
    });

    it('reuses the customer on a retry, with a fresh session each time', async () => {
      const account = await registerAndLogin(t.app);
      const first = await checkout(account, 'pro');
      const mark = fake.requests.length;

      const retry = await checkout(account, 'pro');

      expect(retry.statusCode).toBe(200);
      expect(since(mark).map((request) => request.path)).toEqual(['/v1/checkout/sessions']);
      const customer = (await prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
        .providerCustomerId;
      expect(since(mark)[0]?.body.customer).toBe(customer);
      expect(await prisma.billingCustomer.count({ where: { userId: account.id } })).toBe(1);
      expect(retry.json().url).not.toBe(first.json().url);
    });

    it("passes the client's Idempotency-Key on to Stripe, scoped to the user and the operation", async () => {
      const account = await registerAndLogin(t.app);
      const mark = fake.requests.length;

      expect((await checkout(account, 'pro', { 'idempotency-key': 'order-42' })).statusCode).toBe(200);

      const session = since(mark).find((request) => request.path === '/v1/checkout/sessions');
      expect(session?.headers['idempotency-key']).toBe(`${account.id}:checkout:order-42`);
    });

    it('refuses a second subscription before calling Stripe', async () => {
      const account = await subscribedAccount();
      const mark = fake.requests.length;

      const res = await checkout(account, 'business');

      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'ALREADY_SUBSCRIBED' });
      expect(since(mark)).toEqual([]);
    });
  });

  describe('portal', () => {
    it('opens a Billing Portal session for the customer, returning to the web app', async () => {
      const account = await registerAndLogin(t.app);
      await checkout(account, 'pro');
      const customer = (await prisma.billingCustomer.findUniqueOrThrow({ where: { userId: account.id } }))
        .providerCustomerId;
      const mark = fake.requests.length;

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
      const account = await registerAndLogin(t.app);
      const mark = fake.requests.length;

      const res = await post('/v1/billing/portal', account);

      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NO_SUBSCRIPTION' });
      expect(since(mark)).toEqual([]);
    });
  });

  describe('subscription changes', () => {
    it('changes the plan by replacing the price of the subscription item, prorated and invoiced at once', async () => {
      const account = await subscribedAccount();
      const mark = fake.requests.length;

      const res = await post(
        '/v1/billing/subscription/change',
        account,
        { planCode: 'business' },
        { 'idempotency-key': 'upgrade-1' },
      );

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ planCode: 'business', status: 'ACTIVE' });
      const [retrieve, update, ...rest] = since(mark);
      expect(rest).toEqual([]);
      expect(retrieve).toMatchObject({ method: 'GET', path: `/v1/subscriptions/${account.subscriptionId}` });
      expect(update).toMatchObject({
        method: 'POST',
        path: `/v1/subscriptions/${account.subscriptionId}`,
        body: {
          items: [{ id: account.itemId, price: 'price_business_yearly' }],
          proration_behavior: 'always_invoice',
        },
        headers: { 'idempotency-key': `${account.id}:change:upgrade-1`, authorization: `Bearer ${SECRET_KEY}` },
      });
      expect(
        (await t.app.inject({ method: 'GET', url: '/v1/billing/entitlements', headers: account.auth })).json().planCode,
      ).toBe('business');
    });

    it('ends a running trial at Stripe (trial_end=now) when the target plan has none', async () => {
      const account = await subscribedAccount('price_pro_monthly', {
        status: 'trialing',
        trialEnd: unixNow() + 10 * 86_400,
      });
      const mark = fake.requests.length;

      const res = await post('/v1/billing/subscription/change', account, { planCode: 'business' });

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ planCode: 'business', status: 'ACTIVE' });
      const update = since(mark).find((request) => request.method === 'POST');
      expect(update?.body).toEqual({
        items: [{ id: account.itemId, price: 'price_business_yearly' }],
        proration_behavior: 'always_invoice',
        trial_end: 'now',
      });
    });

    it("still applies Stripe's webhook for that change, though it is stamped to the second", async () => {
      const account = await subscribedAccount();
      await post('/v1/billing/subscription/change', account, { planCode: 'business' });
      const periodStart = unixNow();
      const periodEnd = periodStart + 365 * 86_400;
      const subscription = stripeSubscription({
        id: account.subscriptionId,
        customer: account.customer,
        priceId: 'price_business_yearly',
        periodStart,
        periodEnd,
      });

      await deliver(stripeEvent('customer.subscription.updated', subscription, { created: unixNow() }));

      const me = await t.app.inject({ method: 'GET', url: '/v1/billing/subscription', headers: account.auth });
      expect(me.json()).toMatchObject({
        planCode: 'business',
        currentPeriodEnd: new Date(periodEnd * 1000).toISOString(),
      });
    });

    it('cancels at the period end and resumes through cancel_at_period_end', async () => {
      const account = await subscribedAccount();
      const mark = fake.requests.length;

      const cancel = await post('/v1/billing/subscription/cancel', account, undefined, {
        'idempotency-key': 'cancel-1',
      });
      const resume = await post('/v1/billing/subscription/resume', account);

      expect(cancel.statusCode).toBe(200);
      expect(cancel.json()).toMatchObject({ cancelAtPeriodEnd: true, status: 'ACTIVE' });
      expect(resume.json()).toMatchObject({ cancelAtPeriodEnd: false });
      const [cancelCall, resumeCall, ...rest] = since(mark);
      expect(rest).toEqual([]);
      expect(cancelCall).toMatchObject({
        method: 'POST',
        path: `/v1/subscriptions/${account.subscriptionId}`,
        body: { cancel_at_period_end: 'true' },
        headers: { 'idempotency-key': `${account.id}:cancel:cancel-1` },
      });
      expect(resumeCall).toMatchObject({
        method: 'POST',
        path: `/v1/subscriptions/${account.subscriptionId}`,
        body: { cancel_at_period_end: 'false' },
      });
      expect(resumeCall?.headers['idempotency-key']).toEqual(expect.any(String));
      expect(resumeCall?.headers['idempotency-key']).not.toBe(cancelCall?.headers['idempotency-key']);
    });
  });

  describe('when Stripe fails', () => {
    it('answers 422 BILLING_PROVIDER_REJECTED when Stripe refuses the request, and changes nothing', async () => {
      const account = await subscribedAccount();
      fake.failNext({
        status: 400,
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: "No such price: 'price_business_yearly'",
      });

      const res = await post('/v1/billing/subscription/change', account, { planCode: 'business' });

      expect(res.json()).toEqual({
        type: 'urn:problem-type:billing-provider-rejected',
        title: 'Unprocessable Content',
        status: 422,
        detail: 'The payment provider refused this request.',
        instance: '/v1/billing/subscription/change',
        code: 'BILLING_PROVIDER_REJECTED',
        requestId: res.headers['x-request-id'],
      });
      expect(
        (await prisma.subscription.findFirstOrThrow({ where: { userId: account.id }, include: { plan: true } })).plan
          .code,
      ).toBe('pro');
    });

    it('retries a failing Stripe with the same idempotency key, then answers 503', async () => {
      const account = await registerAndLogin(t.app);
      fake.failNext({ status: 500, type: 'api_error', message: 'Something went wrong on our end.' }, 3);
      const mark = fake.requests.length;

      const res = await checkout(account, 'pro');

      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'BILLING_PROVIDER_UNAVAILABLE', status: 503 });
      const attempts = since(mark);
      expect(attempts.map((request) => request.path)).toEqual(['/v1/customers', '/v1/customers', '/v1/customers']);
      expect(new Set(attempts.map((request) => request.headers['idempotency-key']))).toEqual(
        new Set([`customer:${account.id}`]),
      );
      expect(await prisma.billingCustomer.count({ where: { userId: account.id } })).toBe(0);

      // Stripe is back: the same customer key is used, and checkout goes through.
      expect((await checkout(account, 'pro')).statusCode).toBe(200);
    });

    it('answers 503 when Stripe does not answer in time', async () => {
      const account = await registerAndLogin(t.app);
      fake.hangNext(3);

      const res = await checkout(account, 'pro');

      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'BILLING_PROVIDER_UNAVAILABLE' });
    });

    it('answers 503 BILLING_PROVIDER_UNAVAILABLE, never a 500, when Stripe is down', async () => {
      const account = await registerAndLogin(t.app);
      await fake.close();

      const res = await checkout(account, 'pro');

      expect(res.json()).toEqual({
        type: 'urn:problem-type:billing-provider-unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The payment provider is unavailable; try again later.',
        instance: '/v1/billing/checkout',
        code: 'BILLING_PROVIDER_UNAVAILABLE',
        requestId: res.headers['x-request-id'],
      });
      expect(res.body).not.toContain(SECRET_KEY);
    });
  });
});
