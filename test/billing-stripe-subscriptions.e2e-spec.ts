import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin } from './utils/auth.js';
import { stripeEvent, stripeSubscription, unixNow } from './utils/stripe-events.js';
import { STRIPE_TEST_SECRET_KEY as SECRET_KEY } from './utils/billing.js';
import { StripeBillingApp } from './utils/stripe-billing.js';

describe('billing with the Stripe provider: subscription changes, and when Stripe fails (e2e)', () => {
  const h = new StripeBillingApp();
  const { post, checkout, since, deliverEvent, subscribedAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('subscription changes', () => {
    it('changes the plan by replacing the price of the subscription item, prorated and invoiced at once', async () => {
      const account = await subscribedAccount();
      const mark = h.fake.requests.length;

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
        (await h.t.app.inject({ method: 'GET', url: '/v1/billing/entitlements', headers: account.auth })).json()
          .planCode,
      ).toBe('business');
    });

    it('ends a running trial at Stripe (trial_end=now) when the target plan has none', async () => {
      const account = await subscribedAccount('price_pro_monthly', {
        status: 'trialing',
        trialEnd: unixNow() + 10 * 86_400,
      });
      const mark = h.fake.requests.length;

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

      await deliverEvent(stripeEvent('customer.subscription.updated', subscription, { created: unixNow() }));

      const me = await h.t.app.inject({ method: 'GET', url: '/v1/billing/subscription', headers: account.auth });
      expect(me.json()).toMatchObject({
        planCode: 'business',
        currentPeriodEnd: new Date(periodEnd * 1000).toISOString(),
      });
    });

    it('cancels at the period end and resumes through cancel_at_period_end', async () => {
      const account = await subscribedAccount();
      const mark = h.fake.requests.length;

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
      h.fake.failNext({
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
        (await h.prisma.subscription.findFirstOrThrow({ where: { userId: account.id }, include: { plan: true } })).plan
          .code,
      ).toBe('pro');
    });

    it('retries a failing Stripe with the same idempotency key, then answers 503', async () => {
      const account = await registerAndLogin(h.t.app);
      h.fake.failNext({ status: 500, type: 'api_error', message: 'Something went wrong on our end.' }, 3);
      const mark = h.fake.requests.length;

      const res = await checkout(account, 'pro');

      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'BILLING_PROVIDER_UNAVAILABLE', status: 503 });
      const attempts = since(mark);
      expect(attempts.map((request) => request.path)).toEqual(['/v1/customers', '/v1/customers', '/v1/customers']);
      expect(new Set(attempts.map((request) => request.headers['idempotency-key']))).toEqual(
        new Set([`customer:${account.id}`]),
      );
      expect(await h.prisma.billingCustomer.count({ where: { userId: account.id } })).toBe(0);

      // Stripe is back: the same customer key is used, and checkout goes through.
      expect((await checkout(account, 'pro')).statusCode).toBe(200);
    });

    it('answers 503 when Stripe does not answer in time', async () => {
      const account = await registerAndLogin(h.t.app);
      h.fake.hangNext(3);

      const res = await checkout(account, 'pro');

      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'BILLING_PROVIDER_UNAVAILABLE' });
    });

    it('answers 503 BILLING_PROVIDER_UNAVAILABLE, never a 500, when Stripe is down', async () => {
      const account = await registerAndLogin(h.t.app);
      await h.fake.close();

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
