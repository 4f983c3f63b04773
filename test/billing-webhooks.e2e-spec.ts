import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PrismaService } from '@app/database';
import { registerAndLogin, type TestAccount } from './utils/auth.js';
import { fakeId, startFakeStripe, type FakeStripe } from './utils/fake-stripe.js';
import {
  signature,
  stripeCheckoutSession,
  stripeEvent,
  stripeInvoice,
  stripeSubscription,
  unixNow,
  WEBHOOK_PATH,
  type SubscriptionOptions,
} from './utils/stripe-events.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { seedTestPlans, stripeTestEnv } from './utils/billing.js';

type Json = Record<string, unknown>;

const PRO_PRICE = 'price_pro_monthly';
const BUSINESS_PRICE = 'price_business_yearly';
const HOUR = 3600;

describe('Stripe webhooks (e2e)', () => {
  let fake: FakeStripe;
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    fake = await startFakeStripe();
    t = await createTestApp({ env: stripeTestEnv(fake, { BILLING_PAST_DUE_GRACE_PERIOD: '1h' }) });
    prisma = t.app.get(PrismaService);
    await seedTestPlans(t);
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  /** Posts a body exactly as given, signed unless other headers are given. */
  const deliver = (payload: string, headers?: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', ...(headers ?? { 'stripe-signature': signature(payload) }) },
      payload,
    });
  const send = (event: Json) => deliver(JSON.stringify(event));
  const entitlementsOf = async (account: TestAccount) =>
    (await t.app.inject({ method: 'GET', url: '/v1/billing/entitlements', headers: account.auth })).json();
  const stored = (providerSubscriptionId: string) =>
    prisma.subscription.findFirst({ where: { provider: 'stripe', providerSubscriptionId }, include: { plan: true } });
  const recorded = (eventId: string) => prisma.webhookEvent.findUnique({ where: { id: eventId } });

  /** A user whose Stripe customer is known here (as after POST /v1/billing/checkout). */
  async function customerAccount(): Promise<TestAccount & { customer: string }> {
    const account = await registerAndLogin(t.app);
    const customer = fakeId('cus_');
    await prisma.billingCustomer.create({
      data: { userId: account.id, provider: 'stripe', providerCustomerId: customer },
    });
    return { ...account, customer };
  }

  function subscriptionEvent(
    type: string,
    options: SubscriptionOptions,
    event: { id?: string; created?: number } = {},
  ) {
    return stripeEvent(type, stripeSubscription(options), event);
  }

  /** A user with an active Pro subscription at Stripe, stored here through its created event. */
  async function subscribedAccount(created = unixNow() - 100) {
    const account = await customerAccount();
    const subscriptionId = fakeId('sub_');
    const res = await send(
      subscriptionEvent(
        'customer.subscription.created',
        { id: subscriptionId, customer: account.customer, priceId: PRO_PRICE },
        { created },
      ),
    );
    expect(res.statusCode).toBe(200);
    return { ...account, subscriptionId };
  }

  describe('verification', () => {
    it('applies a correctly signed event and acknowledges it', async () => {
      const account = await customerAccount();
      const subscriptionId = fakeId('sub_');
      const event = subscriptionEvent('customer.subscription.created', {
        id: subscriptionId,
        customer: account.customer,
        priceId: PRO_PRICE,
      });

      const res = await send(event);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ received: true });
      expect(await stored(subscriptionId)).toMatchObject({
        userId: account.id,
        status: 'ACTIVE',
        plan: { code: 'pro' },
      });
      expect(await recorded(event.id as string)).toMatchObject({
        provider: 'stripe',
        type: 'customer.subscription.created',
      });
    });

    it('refuses a tampered payload, a wrong secret, a missing header, a stale timestamp and a garbled header (400, nothing applied)', async () => {
      const account = await customerAccount();
      const subscriptionId = fakeId('sub_');
      const event = subscriptionEvent('customer.subscription.created', {
        id: subscriptionId,
        customer: account.customer,
        priceId: PRO_PRICE,
      });
      const payload = JSON.stringify(event);
      const tampered = payload.replace(PRO_PRICE, BUSINESS_PRICE);

      const attempts = [
        deliver(tampered, { 'stripe-signature': signature(payload) }),
        deliver(payload, { 'stripe-signature': signature(payload, { secret: 'whsec_someoneelse' }) }),
        deliver(payload, {}),
        deliver(payload, { 'stripe-signature': signature(payload, { timestamp: unixNow() - 301 }) }),
        deliver(payload, { 'stripe-signature': 'garbage' }),
        deliver(payload, { 'stripe-signature': `t=${unixNow()},v1=` }),
        deliver(payload, { 'stripe-signature': '' }),
        deliver(payload, { 'stripe-signature': `${signature(payload)},v1=` }),
        deliver(payload, { 'stripe-signature': 'v1=deadbeef' }),
        deliver(payload, { 'stripe-signature': 't=soon,v1=deadbeef' }),
        // A valid signature buried in an oversized header (more than the 1,024 characters documented).
        deliver(payload, { 'stripe-signature': `${signature(payload)}${',v0=00'.repeat(200)}` }),
      ];

      for (const res of await Promise.all(attempts)) {
        expect(res.json()).toEqual({
          type: 'urn:problem-type:webhook-signature-invalid',
          title: 'Bad Request',
          status: 400,
          detail: 'The webhook signature is missing, invalid or too old.',
          instance: WEBHOOK_PATH,
          code: 'WEBHOOK_SIGNATURE_INVALID',
          requestId: res.headers['x-request-id'],
        });
      }
      expect(await stored(subscriptionId)).toBeNull();
      expect(await recorded(event.id as string)).toBeNull();
    });

    it('accepts a signature within the 300 s tolerance', async () => {
      const account = await customerAccount();
      const payload = JSON.stringify(
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: account.customer,
          priceId: PRO_PRICE,
        }),
      );

      const res = await deliver(payload, { 'stripe-signature': signature(payload, { timestamp: unixNow() - 240 }) });

      expect(res.statusCode).toBe(200);
    });

    it('answers 400, never 500, to malformed bodies, even correctly signed', async () => {
      const account = await customerAccount();
      const noPeriod = stripeSubscription({ id: fakeId('sub_'), customer: account.customer, priceId: PRO_PRICE });
      (noPeriod.items as { data: Json[] }).data = [];
      const malformed = [
        '{"id": "evt_1", "object": "event", ',
        '',
        'null',
        '[]',
        '"evt_1"',
        '{"hello": "world"}',
        JSON.stringify({ ...stripeEvent('customer.subscription.updated', {}), created: 'yesterday' }),
        JSON.stringify(stripeEvent('customer.subscription.updated', { id: 'sub_1', object: 'subscription' })),
        JSON.stringify(stripeEvent('customer.subscription.updated', noPeriod)),
        JSON.stringify(stripeEvent('invoice.paid', { id: 'in_1', object: 'invoice', currency: 'not-a-currency' })),
        JSON.stringify(stripeEvent('checkout.session.completed', { id: 'cs_1', object: 'checkout.session', mode: 42 })),
        JSON.stringify({ id: 'evt_thin', object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered' }),
      ];

      for (const payload of malformed) {
        const res = await deliver(payload);
        expect({ payload, status: res.statusCode }).toEqual({ payload, status: 400 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      const notJson = await deliver('{"id": "evt_1", ');
      expect(notJson.json().code).toBe('BAD_REQUEST');
      const notAnEvent = await deliver('{"hello": "world"}');
      expect(notAnEvent.json().code).toBe('WEBHOOK_PAYLOAD_INVALID');
      expect(await prisma.webhookEvent.count({ where: { id: { in: ['evt_1', 'evt_thin'] } } })).toBe(0);
    });

    it('acknowledges an event type it does not handle, and changes nothing', async () => {
      const event = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' });

      const res = await send(event);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ received: true });
      expect(await recorded(event.id as string)).toBeNull();
    });
  });

  describe('checkout.session.completed', () => {
    it('fetches the subscription it does not carry, and grants the plan', async () => {
      const account = await customerAccount();
      const { customer } = account;
      const subscriptionId = fakeId('sub_');
      const trialEnd = unixNow() + 14 * 86_400;
      fake.putSubscription(
        stripeSubscription({
          id: subscriptionId,
          customer,
          priceId: PRO_PRICE,
          status: 'trialing',
          trialEnd,
          periodEnd: trialEnd,
          userId: account.id,
        }),
      );
      expect(await entitlementsOf(account)).toMatchObject({ planCode: 'free' });
      const event = stripeEvent(
        'checkout.session.completed',
        stripeCheckoutSession({ customer, subscription: subscriptionId, userId: account.id }),
      );

      const res = await send(event);

      expect(res.statusCode).toBe(200);
      expect(fake.requestsTo(`GET /v1/subscriptions/${subscriptionId}`)).toHaveLength(1);
      const subscription = await stored(subscriptionId);
      expect(subscription).toMatchObject({
        userId: account.id,
        status: 'TRIALING',
        cancelAtPeriodEnd: false,
        plan: { code: 'pro' },
      });
      expect(subscription?.trialEndsAt).toEqual(new Date(trialEnd * 1000));
      expect(subscription?.currentPeriodEnd).toEqual(new Date(trialEnd * 1000));
      expect(subscription?.providerUpdatedAt).toEqual(new Date((event.created as number) * 1000));
      // The cached free entitlements were dropped.
      expect(await entitlementsOf(account)).toEqual({
        planCode: 'pro',
        features: ['api.export'],
        limits: { 'projects.max': 20 },
      });
      const me = await t.app.inject({ method: 'GET', url: '/v1/billing/subscription', headers: account.auth });
      expect(me.json()).toMatchObject({ planCode: 'pro', status: 'TRIALING' });
    });

    it('fetches nothing when the subscription is already known, or carried expanded', async () => {
      const known = await subscribedAccount();
      const before = fake.requests.length;

      const res = await send(
        stripeEvent(
          'checkout.session.completed',
          stripeCheckoutSession({ customer: known.customer, subscription: known.subscriptionId, userId: known.id }),
        ),
      );

      expect(res.statusCode).toBe(200);
      const account = await customerAccount();
      const { customer } = account;
      const expanded = stripeSubscription({
        id: fakeId('sub_'),
        customer,
        priceId: BUSINESS_PRICE,
        userId: account.id,
      });
      const second = await send(
        stripeEvent(
          'checkout.session.completed',
          stripeCheckoutSession({ customer, subscription: expanded, userId: account.id }),
        ),
      );
      expect(second.statusCode).toBe(200);
      expect(fake.requests.length).toBe(before);
      expect(await stored(expanded.id as string)).toMatchObject({
        userId: account.id,
        status: 'ACTIVE',
        plan: { code: 'business' },
      });
    });
  });

  describe('redelivery and ordering', () => {
    it('applies an event id once: the same id again (even with other content) changes nothing', async () => {
      const account = await subscribedAccount();
      const id = fakeId('evt_');
      const first = subscriptionEvent(
        'customer.subscription.updated',
        { id: account.subscriptionId, customer: account.customer, priceId: PRO_PRICE },
        { id },
      );
      expect((await send(first)).json()).toEqual({ received: true });
      const before = await stored(account.subscriptionId);

      const again = await send(
        subscriptionEvent(
          'customer.subscription.updated',
          {
            id: account.subscriptionId,
            customer: account.customer,
            priceId: BUSINESS_PRICE,
            status: 'past_due',
            cancelAtPeriodEnd: true,
          },
          { id, created: unixNow() + 60 },
        ),
      );

      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ received: true, duplicate: true });
      expect(await stored(account.subscriptionId)).toEqual(before);
      expect(before).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: false, plan: { code: 'pro' } });
    });

    it('keeps the newest state when .updated arrives before .created', async () => {
      const account = await customerAccount();
      const subscriptionId = fakeId('sub_');
      const created = unixNow() - 50;
      const base = { id: subscriptionId, customer: account.customer };

      await send(
        subscriptionEvent(
          'customer.subscription.updated',
          { ...base, priceId: BUSINESS_PRICE, status: 'active' },
          { created: created + 10 },
        ),
      );
      const late = await send(
        subscriptionEvent(
          'customer.subscription.created',
          { ...base, priceId: PRO_PRICE, status: 'incomplete' },
          { created },
        ),
      );

      expect(late.statusCode).toBe(200);
      const subscription = await stored(subscriptionId);
      expect(subscription).toMatchObject({ status: 'ACTIVE', plan: { code: 'business' } });
      expect(subscription?.providerUpdatedAt).toEqual(new Date((created + 10) * 1000));
      expect((await entitlementsOf(account)).planCode).toBe('business');
    });

    it('takes a later event of the same second, but not a .created one', async () => {
      const account = await customerAccount();
      const subscriptionId = fakeId('sub_');
      const second = unixNow() - 30;
      const base = { id: subscriptionId, customer: account.customer, priceId: PRO_PRICE };

      await send(
        subscriptionEvent('customer.subscription.created', { ...base, status: 'incomplete' }, { created: second }),
      );
      await send(
        subscriptionEvent('customer.subscription.updated', { ...base, status: 'active' }, { created: second }),
      );
      expect(await stored(subscriptionId)).toMatchObject({ status: 'ACTIVE' });

      await send(
        subscriptionEvent('customer.subscription.created', { ...base, status: 'incomplete' }, { created: second }),
      );
      expect(await stored(subscriptionId)).toMatchObject({ status: 'ACTIVE' });
    });

    it('stays canceled when an older .updated arrives after .deleted', async () => {
      const account = await subscribedAccount(unixNow() - 100);
      const base = { id: account.subscriptionId, customer: account.customer, priceId: PRO_PRICE };
      expect((await entitlementsOf(account)).planCode).toBe('pro');
      const endedAt = unixNow() - 20;

      await send(
        subscriptionEvent(
          'customer.subscription.deleted',
          { ...base, status: 'canceled', endedAt, canceledAt: endedAt },
          { created: endedAt },
        ),
      );
      await send(
        subscriptionEvent('customer.subscription.updated', { ...base, status: 'active' }, { created: endedAt - 30 }),
      );
      // Even one of the same second never revives it.
      await send(
        subscriptionEvent('customer.subscription.updated', { ...base, status: 'active' }, { created: endedAt }),
      );

      const subscription = await stored(account.subscriptionId);
      expect(subscription).toMatchObject({ status: 'CANCELED' });
      expect(subscription?.canceledAt).toEqual(new Date(endedAt * 1000));
      expect(await entitlementsOf(account)).toMatchObject({ planCode: 'free', features: [] });
    });

    it('maps Stripe statuses (unpaid, incomplete_expired, paused) and cancel_at_period_end', async () => {
      const account = await subscribedAccount(unixNow() - 100);
      const base = { id: account.subscriptionId, customer: account.customer, priceId: PRO_PRICE };
      const cases: Array<[SubscriptionOptions, Json]> = [
        [
          { ...base, status: 'active', cancelAtPeriodEnd: true },
          { status: 'ACTIVE', cancelAtPeriodEnd: true },
        ],
        [
          { ...base, status: 'unpaid' },
          { status: 'PAST_DUE', cancelAtPeriodEnd: false },
        ],
        [{ ...base, status: 'paused' }, { status: 'INCOMPLETE' }],
        [{ ...base, status: 'incomplete_expired' }, { status: 'CANCELED' }],
      ];
      let created = unixNow() - 90;
      for (const [options, expected] of cases) {
        await send(subscriptionEvent('customer.subscription.updated', options, { created: created++ }));
        expect(await stored(account.subscriptionId)).toMatchObject(expected);
      }
    });
  });

  describe('invoices', () => {
    it('records a paid invoice, listed to its user', async () => {
      const account = await subscribedAccount();
      const periodStart = unixNow() - 60;
      const invoice = stripeInvoice({
        customer: account.customer,
        subscription: account.subscriptionId,
        status: 'paid',
        amountDue: 1900,
        number: 'INV-0001',
        periodStart,
        periodEnd: periodStart + 30 * 86_400,
      });

      const res = await send(stripeEvent('invoice.paid', invoice));

      expect(res.statusCode).toBe(200);
      const list = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices', headers: account.auth });
      expect(list.json().items).toEqual([
        {
          id: expect.any(String),
          number: 'INV-0001',
          amountCents: 1900,
          currency: 'usd',
          status: 'PAID',
          hostedUrl: invoice.hosted_invoice_url,
          periodStart: new Date(periodStart * 1000).toISOString(),
          periodEnd: new Date((periodStart + 30 * 86_400) * 1000).toISOString(),
          createdAt: expect.any(String),
        },
      ]);
      const row = await prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } });
      expect(row).toMatchObject({
        userId: account.id,
        provider: 'stripe',
        subscriptionId: (await stored(account.subscriptionId))?.id,
      });
      expect((await stored(account.subscriptionId))?.status).toBe('ACTIVE');
    });

    it('stores the hosted invoice URL, a bearer link, sealed; a rotated key list still opens it (ASVS 5.0 14.2.4)', async () => {
      const account = await subscribedAccount();
      const invoice = stripeInvoice({
        customer: account.customer,
        subscription: account.subscriptionId,
        status: 'open',
      });
      expect((await send(stripeEvent('invoice.payment_failed', invoice))).statusCode).toBe(200);
      const url = invoice.hosted_invoice_url as string;

      const row = await prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } });
      const raw = JSON.stringify(row);
      expect(raw).not.toContain(url);
      expect(raw).not.toContain(new URL(url).pathname);
      expect(row?.hostedUrl).toMatch(/^sealed:v1:jwt:[A-Za-z0-9_-]+$/);

      const listed = async (app: TestApp) =>
        (await app.app.inject({ method: 'GET', url: '/v1/billing/invoices', headers: account.auth })).json().items;
      expect(await listed(t)).toEqual([expect.objectContaining({ hostedUrl: url })]);

      // A new key first, the key that sealed it still listed: it opens. Without that key: no URL, no error.
      const derived = t.config.dataEncryption.keys[0]?.key.toString('base64url') ?? '';
      const fresh = randomBytes(32).toString('base64url');
      for (const [keys, expected] of [
        [`next:${fresh},jwt:${derived}`, url],
        [`next:${fresh}`, null],
      ] as const) {
        const rotated = await createTestApp({
          database: t.database,
          cachePrefix: t.cachePrefix,
          env: stripeTestEnv(fake, { DATA_ENCRYPTION_KEYS: keys }),
        });
        try {
          expect(await listed(rotated)).toEqual([expect.objectContaining({ hostedUrl: expected })]);
        } finally {
          await rotated.close();
        }
      }
    });

    it('a failed payment makes the subscription past due; the plan stays through the grace period, then goes', async () => {
      const account = await subscribedAccount(unixNow() - 100);
      const invoice = stripeInvoice({
        customer: account.customer,
        subscription: account.subscriptionId,
        status: 'open',
        amountDue: 1900,
      });
      expect((await entitlementsOf(account)).planCode).toBe('pro');

      const failedAt = unixNow() - 50;
      const res = await send(stripeEvent('invoice.payment_failed', invoice, { created: failedAt }));

      expect(res.statusCode).toBe(200);
      expect(await stored(account.subscriptionId)).toMatchObject({
        status: 'PAST_DUE',
        pastDueSince: new Date(failedAt * 1000),
      });
      expect(await prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
        status: 'OPEN',
        amountCents: 1900,
      });
      expect((await entitlementsOf(account)).planCode).toBe('pro');

      // Stripe moves the period on although it is unpaid: the grace period still counts from the failure.
      const base = { id: account.subscriptionId, customer: account.customer, priceId: PRO_PRICE, status: 'past_due' };
      const renewed = { periodStart: unixNow() - 60, periodEnd: unixNow() + 30 * 86_400 };
      await send(
        subscriptionEvent('customer.subscription.updated', { ...base, ...renewed }, { created: unixNow() - 40 }),
      );
      expect(await stored(account.subscriptionId)).toMatchObject({ pastDueSince: new Date(failedAt * 1000) });
      expect((await entitlementsOf(account)).planCode).toBe('pro');

      // Paid at last: the invoice is paid, and Stripe's update makes the subscription active again.
      await send(
        stripeEvent('invoice.paid', { ...invoice, status: 'paid', amount_paid: 1900 }, { created: unixNow() - 20 }),
      );
      await send(
        subscriptionEvent(
          'customer.subscription.updated',
          { ...base, ...renewed, status: 'active' },
          { created: unixNow() - 20 },
        ),
      );
      expect(await prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
        status: 'PAID',
      });
      expect(await stored(account.subscriptionId)).toMatchObject({ status: 'ACTIVE', pastDueSince: null });
      expect((await entitlementsOf(account)).planCode).toBe('pro');
    });

    it('ends the grant when the grace period after the failed payment is over, even in a period Stripe started', async () => {
      const account = await subscribedAccount(unixNow() - 3 * HOUR);
      const invoice = stripeInvoice({
        customer: account.customer,
        subscription: account.subscriptionId,
        status: 'open',
      });
      // The payment failed two hours ago (the grace period is 1 h); the unpaid period runs for a month.
      await send(stripeEvent('invoice.payment_failed', invoice, { created: unixNow() - 2 * HOUR }));
      const base = { id: account.subscriptionId, customer: account.customer, priceId: PRO_PRICE, status: 'past_due' };
      await send(
        subscriptionEvent(
          'customer.subscription.updated',
          { ...base, periodStart: unixNow() - 2 * HOUR, periodEnd: unixNow() + 30 * 86_400 },
          { created: unixNow() - 2 * HOUR + 60 },
        ),
      );

      expect(await stored(account.subscriptionId)).toMatchObject({ status: 'PAST_DUE' });
      expect(await entitlementsOf(account)).toMatchObject({ planCode: 'free', features: [] });
    });

    it('ignores a late payment_failed: the paid invoice stays paid, a newer subscription state stays', async () => {
      const account = await subscribedAccount(unixNow() - 100);
      const invoice = stripeInvoice({
        customer: account.customer,
        subscription: account.subscriptionId,
        status: 'paid',
      });
      await send(stripeEvent('invoice.paid', invoice, { created: unixNow() - 10 }));

      const res = await send(
        stripeEvent(
          'invoice.payment_failed',
          { ...invoice, status: 'open', amount_paid: 0 },
          { created: unixNow() - 200 },
        ),
      );

      expect(res.statusCode).toBe(200);
      expect(await prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
        status: 'PAID',
      });
      expect(await stored(account.subscriptionId)).toMatchObject({ status: 'ACTIVE' });
    });
  });

  describe('isolation between users', () => {
    it("never lets one user's event touch another user's subscription or invoices", async () => {
      const alice = await subscribedAccount(unixNow() - 100);
      const bob = await subscribedAccount(unixNow() - 100);
      const bobBefore = await stored(bob.subscriptionId);

      // Alice's own change applies to Alice only.
      await send(
        subscriptionEvent('customer.subscription.updated', {
          id: alice.subscriptionId,
          customer: alice.customer,
          priceId: BUSINESS_PRICE,
        }),
      );
      // An event naming Bob's subscription with Alice's customer, or Bob's metadata with Alice's customer.
      await send(
        subscriptionEvent('customer.subscription.deleted', {
          id: bob.subscriptionId,
          customer: alice.customer,
          priceId: PRO_PRICE,
          status: 'canceled',
        }),
      );
      await send(
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: alice.customer,
          priceId: BUSINESS_PRICE,
          userId: bob.id,
        }),
      );
      // A checkout naming Bob with Alice's customer.
      await send(
        stripeEvent(
          'checkout.session.completed',
          stripeCheckoutSession({ customer: alice.customer, subscription: bob.subscriptionId, userId: bob.id }),
        ),
      );
      // An invoice of Alice's customer for Bob's subscription.
      const invoice = stripeInvoice({ customer: alice.customer, subscription: bob.subscriptionId, status: 'open' });
      await send(stripeEvent('invoice.payment_failed', invoice));

      expect(await stored(alice.subscriptionId)).toMatchObject({ userId: alice.id, plan: { code: 'business' } });
      expect(await stored(bob.subscriptionId)).toEqual(bobBefore);
      expect(await prisma.subscription.count({ where: { userId: bob.id } })).toBe(1);
      expect(await prisma.invoice.count({ where: { providerInvoiceId: invoice.id as string } })).toBe(0);
      expect(await prisma.billingCustomer.findUnique({ where: { userId: bob.id } })).toMatchObject({
        providerCustomerId: bob.customer,
      });
      expect((await entitlementsOf(bob)).planCode).toBe('pro');
    });

    it('never lets the user id of an event adopt a customer unknown here (checkout, subscription, invoice)', async () => {
      // Anyone who can start a checkout in the Stripe account (a Payment Link, a pricing table)
      // chooses its client_reference_id; only the customer our own checkout linked names a user.
      const victim = await registerAndLogin(t.app);
      const known = await subscribedAccount();
      const strangerCustomer = fakeId('cus_');
      const subscriptionId = fakeId('sub_');
      const subscription = stripeSubscription({
        id: subscriptionId,
        customer: strangerCustomer,
        priceId: BUSINESS_PRICE,
        userId: victim.id,
      });
      fake.putSubscription(subscription);
      const invoice = stripeInvoice({ customer: strangerCustomer, subscription: known.subscriptionId, status: 'open' });

      const responses = [
        await send(
          stripeEvent(
            'checkout.session.completed',
            stripeCheckoutSession({ customer: strangerCustomer, subscription: subscriptionId, userId: victim.id }),
          ),
        ),
        await send(stripeEvent('customer.subscription.created', subscription)),
        await send(stripeEvent('invoice.payment_failed', invoice)),
      ];

      expect(responses.map((res) => res.statusCode)).toEqual([200, 200, 200]);
      expect(await prisma.billingCustomer.count({ where: { providerCustomerId: strangerCustomer } })).toBe(0);
      expect(await prisma.billingCustomer.count({ where: { userId: victim.id } })).toBe(0);
      expect(await stored(subscriptionId)).toBeNull();
      expect(await prisma.invoice.count({ where: { providerInvoiceId: invoice.id as string } })).toBe(0);
      expect(await stored(known.subscriptionId)).toMatchObject({ userId: known.id, status: 'ACTIVE' });
      expect((await entitlementsOf(victim)).planCode).toBe('free');
    });

    it('applies no subscription carried by a checkout of another customer', async () => {
      const account = await customerAccount();
      const other = await customerAccount();
      const expanded = stripeSubscription({ id: fakeId('sub_'), customer: other.customer, priceId: PRO_PRICE });

      const res = await send(
        stripeEvent(
          'checkout.session.completed',
          stripeCheckoutSession({ customer: account.customer, subscription: expanded, userId: account.id }),
        ),
      );

      expect(res.statusCode).toBe(200);
      expect(await stored(expanded.id as string)).toBeNull();
    });

    it('stores nothing for a customer, price or user it does not know', async () => {
      const strangerCustomer = fakeId('cus_');
      const unknownUser = '01900000-0000-7000-8000-000000000000';
      const events = [
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: strangerCustomer,
          priceId: PRO_PRICE,
        }),
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: strangerCustomer,
          priceId: PRO_PRICE,
          userId: unknownUser,
        }),
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: strangerCustomer,
          priceId: PRO_PRICE,
          userId: 'not-a-uuid',
        }),
        stripeEvent(
          'checkout.session.completed',
          stripeCheckoutSession({ customer: strangerCustomer, subscription: null, userId: 'not-a-uuid' }),
        ),
      ];
      const account = await customerAccount();
      events.push(
        subscriptionEvent('customer.subscription.created', {
          id: fakeId('sub_'),
          customer: account.customer,
          priceId: 'price_unknown',
        }),
      );

      for (const event of events) expect((await send(event)).statusCode).toBe(200);

      expect(
        await prisma.subscription.count({
          where: { OR: [{ userId: account.id }, { plan: { providerPriceId: 'price_unknown' } }] },
        }),
      ).toBe(0);
      expect(await prisma.billingCustomer.count({ where: { providerCustomerId: strangerCustomer } })).toBe(0);
    });
  });

  it('answers 404 without a webhook secret, and never rate-limits Stripe', async () => {
    const other = await createTestApp({ database: t.database, env: { RATE_LIMIT_PER_MINUTE: '2' } });
    try {
      const payload = JSON.stringify(stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' }));
      const responses = [];
      for (let i = 0; i < 4; i++) {
        responses.push(
          await other.app.inject({
            method: 'POST',
            url: WEBHOOK_PATH,
            headers: { 'content-type': 'application/json', 'stripe-signature': signature(payload) },
            payload,
          }),
        );
      }

      for (const res of responses) {
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ code: 'STRIPE_WEBHOOKS_DISABLED', status: 404 });
      }
      const plans = [];
      for (let i = 0; i < 3; i++)
        plans.push((await other.app.inject({ method: 'GET', url: '/v1/billing/plans' })).statusCode);
      expect(plans).toEqual([200, 200, 429]);
    } finally {
      await other.close();
    }
  });
});
