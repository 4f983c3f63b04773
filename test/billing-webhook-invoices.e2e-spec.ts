import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { stripeEvent, stripeInvoice, unixNow } from './utils/stripe-events.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { stripeTestEnv } from './utils/billing.js';
import { PRO_PRICE, StripeWebhookApp } from './utils/stripe-webhooks.js';

const HOUR = 3600;

describe('Stripe webhooks: invoices and the past-due grace period (e2e)', () => {
  const h = new StripeWebhookApp();
  const { send, entitlementsOf, stored, subscriptionEvent, subscribedAccount } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

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
      const list = await h.t.app.inject({ method: 'GET', url: '/v1/billing/invoices', headers: account.auth });
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
      const row = await h.prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } });
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

      const row = await h.prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } });
      const raw = JSON.stringify(row);
      expect(raw).not.toContain(url);
      expect(raw).not.toContain(new URL(url).pathname);
      expect(row?.hostedUrl).toMatch(/^sealed:v1:jwt:[A-Za-z0-9_-]+$/);

      const listed = async (app: TestApp) =>
        (await app.app.inject({ method: 'GET', url: '/v1/billing/invoices', headers: account.auth })).json().items;
      expect(await listed(h.t)).toEqual([expect.objectContaining({ hostedUrl: url })]);

      // A new key first, the key that sealed it still listed: it opens. Without that key: no URL, no error.
      const derived = h.t.config.dataEncryption.keys[0]?.key.toString('base64url') ?? '';
      const fresh = randomBytes(32).toString('base64url');
      for (const [keys, expected] of [
        [`next:${fresh},jwt:${derived}`, url],
        [`next:${fresh}`, null],
      ] as const) {
        const rotated = await createTestApp({
          database: h.t.database,
          cachePrefix: h.t.cachePrefix,
          env: stripeTestEnv(h.fake, { DATA_ENCRYPTION_KEYS: keys }),
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
      expect(await h.prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
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
      expect(await h.prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
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
      expect(await h.prisma.invoice.findFirst({ where: { providerInvoiceId: invoice.id as string } })).toMatchObject({
        status: 'PAID',
      });
      expect(await stored(account.subscriptionId)).toMatchObject({ status: 'ACTIVE' });
    });
  });
});
