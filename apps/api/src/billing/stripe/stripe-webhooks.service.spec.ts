import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import type { AppConfig } from '@app/config';
import {
  StripeWebhooksDisabledError,
  WebhookPayloadInvalidError,
  WebhookSignatureInvalidError,
} from '../billing.errors.js';
import type { BillingService } from '../subscriptions/billing.service.js';
import type { PlansRepository } from '../subscriptions/plans.repository.js';
import type { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import {
  makeBillingPlan,
  makeBillingServiceMock,
  makePlansRepository,
  makeProviderEventWrites,
  makeStripeConfig,
  makeStripeProvider,
  makeSubscriptionsRepository,
  makeWebhookEventsRepository,
} from '../testing/billing.builders.js';
import type { StripeBillingProvider } from './stripe-billing.provider.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';
import type { WebhookEventsRepository } from './webhook-events.repository.js';

const SECRET = 'whsec_unit_test_secret';
const CREATED = 1_773_230_400; // 2026-03-11T12:00:00Z
const at = (seconds: number) => new Date(seconds * 1000);

/** A Stripe event envelope around `object`, as its webhooks deliver it. */
function makeEvent(type: string, object: Record<string, unknown>) {
  return { id: `evt_${randomUUID()}`, object: 'event', type, created: CREATED, data: { object } };
}

function makeStripeSubscription(overrides: Record<string, unknown> = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    status: 'active',
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    trial_end: null,
    metadata: {},
    items: {
      data: [
        {
          id: 'si_1',
          price: { id: 'price_pro' },
          current_period_start: CREATED,
          current_period_end: CREATED + 2_592_000,
        },
      ],
    },
    ...overrides,
  };
}

/** The raw body and a valid signature header for `event`. */
function signed(event: unknown, secret = SECRET): [Buffer, string] {
  const payload = JSON.stringify(event);
  return [Buffer.from(payload), Stripe.webhooks.generateTestHeaderString({ payload, secret })];
}

describe(StripeWebhooksService.name, () => {
  const userId = randomUUID();
  const plan = makeBillingPlan({ providerPriceId: 'price_pro' });

  let writes: ReturnType<typeof makeProviderEventWrites>;
  let events: ReturnType<typeof makeWebhookEventsRepository>;
  let subscriptions: ReturnType<typeof makeSubscriptionsRepository>;
  let plans: ReturnType<typeof makePlansRepository>;
  let stripe: ReturnType<typeof makeStripeProvider>;
  let billing: ReturnType<typeof makeBillingServiceMock>;
  let sut: StripeWebhooksService;
  let warn: MockInstance<Logger['warn']>;

  function makeSut(config: AppConfig): StripeWebhooksService {
    return new StripeWebhooksService(
      events as unknown as WebhookEventsRepository,
      subscriptions as unknown as SubscriptionsRepository,
      plans as unknown as PlansRepository,
      stripe as unknown as StripeBillingProvider,
      billing as unknown as BillingService,
      config,
    );
  }

  beforeEach(() => {
    writes = makeProviderEventWrites();
    events = makeWebhookEventsRepository(writes);
    subscriptions = makeSubscriptionsRepository();
    plans = makePlansRepository();
    plans.findByProviderPriceId.mockResolvedValue(plan);
    stripe = makeStripeProvider();
    billing = makeBillingServiceMock();
    sut = makeSut(makeStripeConfig({ webhookSecret: SECRET }));
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('verification', () => {
    it('refuses every delivery with STRIPE_WEBHOOKS_DISABLED when no webhook secret is set', async () => {
      sut = makeSut(makeStripeConfig({ webhookSecret: undefined }));

      await expect(sut.receive(...signed(makeEvent('invoice.paid', {})))).rejects.toThrow(StripeWebhooksDisabledError);
      expect(events.isRecorded).not.toHaveBeenCalled();
    });

    it('refuses a missing or malformed signature header', async () => {
      const [body] = signed(makeEvent('invoice.paid', {}));

      await expect(sut.receive(body, undefined)).rejects.toThrow(WebhookSignatureInvalidError);
      await expect(sut.receive(body, 't=1,v1=')).rejects.toThrow(WebhookSignatureInvalidError);
      await expect(sut.receive(undefined, 't=1,v1=ab')).rejects.toThrow(WebhookSignatureInvalidError);
    });

    it('refuses a body signed with another secret', async () => {
      await expect(sut.receive(...signed(makeEvent('invoice.paid', {}), 'whsec_other'))).rejects.toThrow(
        WebhookSignatureInvalidError,
      );
      expect(events.isRecorded).not.toHaveBeenCalled();
    });

    it('refuses a signed body that is no Stripe event with WEBHOOK_PAYLOAD_INVALID', async () => {
      await expect(sut.receive(...signed({ hello: 'world' }))).rejects.toThrow(WebhookPayloadInvalidError);
    });
  });

  it('acknowledges an event type it does not handle without recording it', async () => {
    await expect(sut.receive(...signed(makeEvent('customer.created', {})))).resolves.toEqual({ received: true });
    expect(events.isRecorded).not.toHaveBeenCalled();
    expect(events.processOnce).not.toHaveBeenCalled();
  });

  it('acknowledges an event already recorded as a duplicate, applying nothing', async () => {
    const event = makeEvent('customer.subscription.updated', makeStripeSubscription());
    events.isRecorded.mockResolvedValue(true);

    await expect(sut.receive(...signed(event))).resolves.toEqual({ received: true, duplicate: true });
    expect(events.isRecorded).toHaveBeenCalledWith(event.id);
    expect(events.processOnce).not.toHaveBeenCalled();
  });

  it('acknowledges a duplicate found inside the transaction without dropping any entitlements', async () => {
    events.processOnce.mockResolvedValue({ duplicate: true });

    await expect(
      sut.receive(...signed(makeEvent('customer.subscription.updated', makeStripeSubscription()))),
    ).resolves.toEqual({ received: true, duplicate: true });
    expect(billing.subscriptionChanged).not.toHaveBeenCalled();
  });

  describe('subscription events', () => {
    it("stores the customer's subscription on its plan and drops the owner's cached entitlements", async () => {
      const event = makeEvent('customer.subscription.updated', makeStripeSubscription({ cancel_at_period_end: true }));
      writes.customerOwner.mockResolvedValue(userId);
      writes.syncSubscription.mockResolvedValue('updated');

      await expect(sut.receive(...signed(event))).resolves.toEqual({ received: true });

      expect(events.processOnce).toHaveBeenCalledWith(
        { id: event.id, provider: 'stripe', type: 'customer.subscription.updated', createdAt: at(CREATED) },
        expect.any(Function),
      );
      expect(plans.findByProviderPriceId).toHaveBeenCalledWith('price_pro');
      expect(writes.customerOwner).toHaveBeenCalledWith('cus_1');
      expect(writes.syncSubscription).toHaveBeenCalledWith(
        {
          userId,
          planId: plan.id,
          providerSubscriptionId: 'sub_1',
          status: 'ACTIVE',
          currentPeriodStart: at(CREATED),
          currentPeriodEnd: at(CREATED + 2_592_000),
          cancelAtPeriodEnd: true,
          canceledAt: null,
          trialEndsAt: null,
          providerUpdatedAt: at(CREATED),
        },
        { replaceSameTime: true, canceledIsFinal: true },
      );
      expect(billing.subscriptionChanged).toHaveBeenCalledWith(userId);
    });

    it('stores a deleted subscription as canceled at its end, and a created one without replacing its second', async () => {
      writes.customerOwner.mockResolvedValue(userId);
      writes.syncSubscription.mockResolvedValue('created');

      await sut.receive(
        ...signed(makeEvent('customer.subscription.created', makeStripeSubscription({ status: 'past_due' }))),
      );
      await sut.receive(
        ...signed(makeEvent('customer.subscription.deleted', makeStripeSubscription({ ended_at: CREATED - 60 }))),
      );

      expect(writes.syncSubscription).toHaveBeenNthCalledWith(
        1,
        expect.objectContaining({ status: 'PAST_DUE', canceledAt: null }),
        { replaceSameTime: false, canceledIsFinal: true },
      );
      expect(writes.syncSubscription).toHaveBeenNthCalledWith(
        2,
        expect.objectContaining({ status: 'CANCELED', canceledAt: at(CREATED - 60) }),
        { replaceSameTime: true, canceledIsFinal: true },
      );
    });

    it('applies nothing for a customer unknown here', async () => {
      await expect(
        sut.receive(...signed(makeEvent('customer.subscription.updated', makeStripeSubscription()))),
      ).resolves.toEqual({ received: true });

      expect(writes.syncSubscription).not.toHaveBeenCalled();
      expect(billing.subscriptionChanged).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ customerId: 'cus_1' }),
        'Stripe event of a customer unknown here: not applied',
      );
    });

    it("applies nothing when the metadata names another user than the customer's", async () => {
      writes.customerOwner.mockResolvedValue(userId);

      await sut.receive(
        ...signed(
          makeEvent('customer.subscription.updated', makeStripeSubscription({ metadata: { userId: randomUUID() } })),
        ),
      );

      expect(writes.syncSubscription).not.toHaveBeenCalled();
      expect(billing.subscriptionChanged).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ customerId: 'cus_1' }),
        'Stripe event names another user than the customer’s: not applied',
      );
    });

    it.each(['stale', 'foreign', 'no_plan'] as const)(
      'drops no entitlements when the sync answers %s',
      async (result) => {
        writes.customerOwner.mockResolvedValue(userId);
        writes.syncSubscription.mockResolvedValue(result);

        await sut.receive(...signed(makeEvent('customer.subscription.updated', makeStripeSubscription())));

        expect(billing.subscriptionChanged).not.toHaveBeenCalled();
      },
    );
  });

  describe('invoice events', () => {
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer: 'cus_1',
      number: 'A-0001',
      amount_due: 1900,
      amount_paid: 0,
      currency: 'USD',
      status: 'open',
      hosted_invoice_url: 'https://invoice.stripe.com/i/1',
      period_start: CREATED - 100,
      period_end: CREATED - 100,
      parent: { subscription_details: { subscription: 'sub_1' } },
      lines: { data: [{ period: { start: CREATED, end: CREATED + 2_592_000 } }] },
    };

    it("stores a failed payment's invoice and marks the subscription past due", async () => {
      const subscriptionId = randomUUID();
      writes.customerOwner.mockResolvedValue(userId);
      writes.findSubscription.mockResolvedValue({ id: subscriptionId, userId });
      writes.markPastDue.mockResolvedValue(true);

      await sut.receive(...signed(makeEvent('invoice.payment_failed', invoice)));

      expect(writes.findSubscription).toHaveBeenCalledWith('sub_1');
      expect(writes.upsertInvoice).toHaveBeenCalledWith(
        {
          providerInvoiceId: 'in_1',
          number: 'A-0001',
          amountCents: 1900,
          currency: 'usd',
          status: 'OPEN',
          hostedUrl: 'https://invoice.stripe.com/i/1',
          periodStart: at(CREATED),
          periodEnd: at(CREATED + 2_592_000),
          userId,
          subscriptionId,
        },
        ['PAID', 'VOID'],
      );
      expect(writes.markPastDue).toHaveBeenCalledWith(userId, 'sub_1', at(CREATED));
      expect(billing.subscriptionChanged).toHaveBeenCalledWith(userId);
    });

    it("stores nothing when the invoice's subscription belongs to another user than its customer", async () => {
      writes.customerOwner.mockResolvedValue(userId);
      writes.findSubscription.mockResolvedValue({ id: randomUUID(), userId: randomUUID() });

      await sut.receive(...signed(makeEvent('invoice.paid', invoice)));

      expect(writes.upsertInvoice).not.toHaveBeenCalled();
      expect(writes.markPastDue).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ invoiceId: 'in_1' }),
        'Stripe invoice of no user here (or of two): not stored',
      );
    });
  });

  describe('checkout completed', () => {
    it('fetches a subscription still unknown here from Stripe and stores it for the linked customer', async () => {
      writes.customerOwner.mockResolvedValue(userId);
      writes.syncSubscription.mockResolvedValue('created');
      subscriptions.existsAtProvider.mockResolvedValue(false);
      stripe.retrieveSubscription.mockResolvedValue(makeStripeSubscription() as unknown as Stripe.Subscription);
      const session = {
        id: 'cs_1',
        object: 'checkout.session',
        mode: 'subscription',
        client_reference_id: userId,
        customer: 'cus_1',
        subscription: 'sub_1',
      };

      await sut.receive(...signed(makeEvent('checkout.session.completed', session)));

      expect(subscriptions.existsAtProvider).toHaveBeenCalledWith('stripe', 'sub_1');
      expect(stripe.retrieveSubscription).toHaveBeenCalledWith('sub_1');
      expect(writes.syncSubscription).toHaveBeenCalledWith(
        expect.objectContaining({ userId, providerSubscriptionId: 'sub_1', status: 'ACTIVE' }),
        { replaceSameTime: true, canceledIsFinal: true },
      );
      expect(billing.subscriptionChanged).toHaveBeenCalledWith(userId);
    });
  });
});
