import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAndLogin } from './utils/auth.js';
import { fakeId } from './utils/fake-stripe.js';
import {
  stripeCheckoutSession,
  stripeEvent,
  stripeInvoice,
  stripeSubscription,
  unixNow,
} from './utils/stripe-events.js';
import { BUSINESS_PRICE, PRO_PRICE, StripeWebhookApp } from './utils/stripe-webhooks.js';

describe('Stripe webhooks: isolation between users (e2e)', () => {
  const h = new StripeWebhookApp();
  const { send, entitlementsOf, stored, subscriptionEvent, customerAccount, subscribedAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

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
      expect(await h.prisma.subscription.count({ where: { userId: bob.id } })).toBe(1);
      expect(await h.prisma.invoice.count({ where: { providerInvoiceId: invoice.id as string } })).toBe(0);
      expect(await h.prisma.billingCustomer.findUnique({ where: { userId: bob.id } })).toMatchObject({
        providerCustomerId: bob.customer,
      });
      expect((await entitlementsOf(bob)).planCode).toBe('pro');
    });

    it('never lets the user id of an event adopt a customer unknown here (checkout, subscription, invoice)', async () => {
      // Anyone who can start a checkout in the Stripe account (a Payment Link, a pricing table)
      // chooses its client_reference_id; only the customer our own checkout linked names a user.
      const victim = await registerAndLogin(h.t.app);
      const known = await subscribedAccount();
      const strangerCustomer = fakeId('cus_');
      const subscriptionId = fakeId('sub_');
      const subscription = stripeSubscription({
        id: subscriptionId,
        customer: strangerCustomer,
        priceId: BUSINESS_PRICE,
        userId: victim.id,
      });
      h.fake.putSubscription(subscription);
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
      expect(await h.prisma.billingCustomer.count({ where: { providerCustomerId: strangerCustomer } })).toBe(0);
      expect(await h.prisma.billingCustomer.count({ where: { userId: victim.id } })).toBe(0);
      expect(await stored(subscriptionId)).toBeNull();
      expect(await h.prisma.invoice.count({ where: { providerInvoiceId: invoice.id as string } })).toBe(0);
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
        await h.prisma.subscription.count({
          where: { OR: [{ userId: account.id }, { plan: { providerPriceId: 'price_unknown' } }] },
        }),
      ).toBe(0);
      expect(await h.prisma.billingCustomer.count({ where: { providerCustomerId: strangerCustomer } })).toBe(0);
    });
  });
});
