import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeId } from './utils/fake-stripe.js';
import {
  stripeCheckoutSession,
  stripeEvent,
  stripeSubscription,
  unixNow,
  type SubscriptionOptions,
} from './utils/stripe-events.js';
import { BUSINESS_PRICE, PRO_PRICE, StripeWebhookApp } from './utils/stripe-webhooks.js';

type Json = Record<string, unknown>;

describe('Stripe webhooks: subscriptions from checkouts, redeliveries and out-of-order events (e2e)', () => {
  const h = new StripeWebhookApp();
  const { send, entitlementsOf, stored, subscriptionEvent, customerAccount, subscribedAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('checkout.session.completed', () => {
    it('fetches the subscription it does not carry, and grants the plan', async () => {
      const account = await customerAccount();
      const { customer } = account;
      const subscriptionId = fakeId('sub_');
      const trialEnd = unixNow() + 14 * 86_400;
      h.fake.putSubscription(
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
      expect(h.fake.requestsTo(`GET /v1/subscriptions/${subscriptionId}`)).toHaveLength(1);
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
      const me = await h.t.app.inject({ method: 'GET', url: '/v1/billing/subscription', headers: account.auth });
      expect(me.json()).toMatchObject({ planCode: 'pro', status: 'TRIALING' });
    });

    it('fetches nothing when the subscription is already known, or carried expanded', async () => {
      const known = await subscribedAccount();
      const before = h.fake.requests.length;

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
      expect(h.fake.requests.length).toBe(before);
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
});
