import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeId } from './utils/fake-stripe.js';
import { signature, stripeEvent, stripeSubscription, unixNow, WEBHOOK_PATH } from './utils/stripe-events.js';
import { createTestApp } from './utils/test-app.js';
import { BUSINESS_PRICE, PRO_PRICE, StripeWebhookApp } from './utils/stripe-webhooks.js';

type Json = Record<string, unknown>;

describe('Stripe webhooks: signature verification and malformed deliveries (e2e)', () => {
  const h = new StripeWebhookApp();
  const { deliver, send, stored, recorded, subscriptionEvent, customerAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

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
      expect(await h.prisma.webhookEvent.count({ where: { id: { in: ['evt_1', 'evt_thin'] } } })).toBe(0);
    });

    it('acknowledges an event type it does not handle, and changes nothing', async () => {
      const event = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' });

      const res = await send(event);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ received: true });
      expect(await recorded(event.id as string)).toBeNull();
    });
  });

  it('answers 404 without a webhook secret, and never rate-limits Stripe', async () => {
    const other = await createTestApp({ database: h.t.database, env: { RATE_LIMIT_PER_MINUTE: '2' } });
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
