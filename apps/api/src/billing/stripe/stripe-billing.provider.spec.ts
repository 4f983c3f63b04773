import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Stripe from 'stripe';
import { silenceLogger } from '../../../../../test/utils/builders.js';
import {
  BillingProviderRejectedError,
  BillingProviderUnavailableError,
  NoSubscriptionError,
  PlanNotPurchasableError,
} from '../billing.errors.js';
import type { BillingCustomersRepository } from '../subscriptions/billing-customers.repository.js';
import type { CheckoutInput } from '../subscriptions/billing-provider.js';
import {
  makeBillingCustomersRepository,
  makeBillingPlan,
  makeBillingSubscription,
  makeStripeConfig,
} from '../testing/billing.builders.js';
import { StripeBillingProvider } from './stripe-billing.provider.js';

const FRONTEND = 'https://app.example.com';
const user = { id: 'user-1', email: 'ada@example.com', name: 'Ada' };
const plan = makeBillingPlan({ code: 'pro', providerPriceId: 'price_pro' });

function makeCheckout(overrides: Partial<CheckoutInput> = {}): CheckoutInput {
  return { user, plan, trialDays: 0, idempotencyKey: 'user-1:checkout:key-1', ...overrides };
}

/** A subscription kept at Stripe (`sub_1`), on the pro plan. */
const stripeSubscription = makeBillingSubscription(plan, { provider: 'stripe', providerSubscriptionId: 'sub_1' });

/** Resolved like the SDK resolves: the object and its response's metadata. */
function response<T extends object>(object: T): Stripe.Response<T> {
  return { ...object, lastResponse: { headers: {}, requestId: 'req_1', statusCode: 200 } } as Stripe.Response<T>;
}

/**
 * The SDK calls the provider makes, spied on its Stripe client. The client is built by the
 * provider's `onModuleInit` (from STRIPE_SECRET_KEY), not injected, so it is reached on the instance.
 */
function spyOnStripe(sut: StripeBillingProvider) {
  const stripe = (sut as unknown as { client: Stripe }).client;
  return {
    createCustomer: vi
      .spyOn(stripe.customers, 'create')
      .mockResolvedValue(response({ id: 'cus_new' } as Stripe.Customer)),
    createCheckout: vi
      .spyOn(stripe.checkout.sessions, 'create')
      .mockResolvedValue(response({ id: 'cs_1', url: 'https://checkout.stripe.test/cs_1' } as Stripe.Checkout.Session)),
    createPortal: vi
      .spyOn(stripe.billingPortal.sessions, 'create')
      .mockResolvedValue(response({ url: 'https://billing.stripe.test/p_1' } as Stripe.BillingPortal.Session)),
    retrieveSubscription: vi
      .spyOn(stripe.subscriptions, 'retrieve')
      .mockResolvedValue(response({ id: 'sub_1', items: { data: [{ id: 'si_1' }] } } as Stripe.Subscription)),
    updateSubscription: vi
      .spyOn(stripe.subscriptions, 'update')
      .mockResolvedValue(response({ id: 'sub_1' } as Stripe.Subscription)),
  };
}

describe(StripeBillingProvider.name, () => {
  let customers: ReturnType<typeof makeBillingCustomersRepository>;
  let stripe: ReturnType<typeof spyOnStripe>;
  let logs: ReturnType<typeof silenceLogger>;
  let sut: StripeBillingProvider;

  beforeEach(async () => {
    logs = silenceLogger();
    customers = makeBillingCustomersRepository();
    customers.findCustomerId.mockResolvedValue('cus_1');
    customers.link.mockImplementation(async (_userId, _provider, id) => id);
    sut = new StripeBillingProvider(customers as unknown as BillingCustomersRepository, makeStripeConfig());
    await sut.onModuleInit();
    stripe = spyOnStripe(sut);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('startCheckout', () => {
    it('opens a subscription checkout for the user’s customer and the plan’s price, under the request’s key', async () => {
      await expect(sut.startCheckout(makeCheckout())).resolves.toEqual({ url: 'https://checkout.stripe.test/cs_1' });

      expect(customers.findCustomerId).toHaveBeenCalledWith('user-1', 'stripe');
      expect(stripe.createCustomer).not.toHaveBeenCalled();
      expect(stripe.createCheckout).toHaveBeenCalledWith(
        {
          mode: 'subscription',
          customer: 'cus_1',
          client_reference_id: 'user-1',
          metadata: { userId: 'user-1' },
          line_items: [{ price: 'price_pro', quantity: 1 }],
          subscription_data: { metadata: { userId: 'user-1' } },
          success_url: `${FRONTEND}/billing/success`,
          cancel_url: `${FRONTEND}/billing/cancel`,
        },
        { idempotencyKey: 'user-1:checkout:key-1' },
      );
    });

    it('offers the trial it is given', async () => {
      await sut.startCheckout(makeCheckout({ trialDays: 14 }));

      expect(stripe.createCheckout.mock.calls[0]?.[0]).toMatchObject({
        subscription_data: { metadata: { userId: 'user-1' }, trial_period_days: 14 },
      });
    });

    it('creates the customer once, under a key of the user, and checks out the one linked', async () => {
      customers.findCustomerId.mockResolvedValue(null);
      customers.link.mockResolvedValue('cus_linked_first');

      await sut.startCheckout(makeCheckout());

      expect(stripe.createCustomer).toHaveBeenCalledWith(
        { email: 'ada@example.com', name: 'Ada', metadata: { userId: 'user-1' } },
        { idempotencyKey: 'customer:user-1' },
      );
      expect(customers.link).toHaveBeenCalledWith('user-1', 'stripe', 'cus_new');
      expect(stripe.createCheckout.mock.calls[0]?.[0]).toMatchObject({ customer: 'cus_linked_first' });
    });

    it('throws PLAN_NOT_PURCHASABLE for a plan without a Stripe price, calling nothing', async () => {
      await expect(
        sut.startCheckout(makeCheckout({ plan: makeBillingPlan({ providerPriceId: null }) })),
      ).rejects.toThrow(PlanNotPurchasableError);
      expect(customers.findCustomerId).not.toHaveBeenCalled();
      expect(stripe.createCheckout).not.toHaveBeenCalled();
    });

    it('answers unavailable when Stripe returns a checkout session without a URL', async () => {
      stripe.createCheckout.mockResolvedValue(response({ id: 'cs_1', url: null } as Stripe.Checkout.Session));

      await expect(sut.startCheckout(makeCheckout())).rejects.toThrow(BillingProviderUnavailableError);
    });
  });

  describe('portalUrl', () => {
    it('opens a portal session returning to the billing page, a new key each time', async () => {
      await expect(sut.portalUrl(user)).resolves.toEqual({ url: 'https://billing.stripe.test/p_1' });
      await sut.portalUrl(user);

      const [first, second] = stripe.createPortal.mock.calls;
      expect(first?.[0]).toEqual({ customer: 'cus_1', return_url: `${FRONTEND}/billing` });
      expect(first?.[1]?.idempotencyKey).toMatch(/^portal-session:user-1:[0-9a-f-]{36}$/);
      expect(second?.[1]?.idempotencyKey).not.toBe(first?.[1]?.idempotencyKey);
    });

    it('throws NO_SUBSCRIPTION for a user without a Stripe customer', async () => {
      customers.findCustomerId.mockResolvedValue(null);

      await expect(sut.portalUrl(user)).rejects.toThrow(NoSubscriptionError);
      expect(stripe.createPortal).not.toHaveBeenCalled();
    });
  });

  describe('changePlan', () => {
    const pro2 = makeBillingPlan({ code: 'team', providerPriceId: 'price_team' });

    it('swaps the one item’s price, prorated and invoiced at once, under the request’s key', async () => {
      await sut.changePlan(stripeSubscription, pro2, 'user-1:change-plan:key-1', {});

      expect(stripe.retrieveSubscription).toHaveBeenCalledWith('sub_1');
      expect(stripe.updateSubscription).toHaveBeenCalledWith(
        'sub_1',
        { items: [{ id: 'si_1', price: 'price_team' }], proration_behavior: 'always_invoice' },
        { idempotencyKey: 'user-1:change-plan:key-1' },
      );
    });

    it('ends a running trial now, or at the date given (in epoch seconds)', async () => {
      await sut.changePlan(stripeSubscription, pro2, 'k1', { trialEnd: 'now' });
      await sut.changePlan(stripeSubscription, pro2, 'k2', { trialEnd: new Date('2026-03-20T00:00:00.500Z') });

      expect(stripe.updateSubscription.mock.calls.map(([, params]) => params?.trial_end)).toEqual([
        'now',
        1_773_964_800,
      ]);
    });

    it('refuses a Stripe subscription that has not exactly one item, changing nothing', async () => {
      stripe.retrieveSubscription.mockResolvedValue(
        response({ id: 'sub_1', items: { data: [{ id: 'si_1' }, { id: 'si_2' }] } } as Stripe.Subscription),
      );

      await expect(sut.changePlan(stripeSubscription, pro2, 'k', {})).rejects.toThrow(BillingProviderRejectedError);
      expect(stripe.updateSubscription).not.toHaveBeenCalled();
    });

    it('leaves a subscription started on the local provider alone', async () => {
      await sut.changePlan(makeBillingSubscription(plan, { provider: 'local' }), pro2, 'k', {});

      expect(stripe.retrieveSubscription).not.toHaveBeenCalled();
      expect(stripe.updateSubscription).not.toHaveBeenCalled();
    });
  });

  describe('setCancelAtPeriodEnd', () => {
    it('sets cancel_at_period_end under the request’s key, and skips local subscriptions', async () => {
      await sut.setCancelAtPeriodEnd(stripeSubscription, true, 'user-1:cancel:key-1');
      await sut.setCancelAtPeriodEnd(makeBillingSubscription(plan, { provider: 'local' }), true, 'k');

      expect(stripe.updateSubscription).toHaveBeenCalledTimes(1);
      expect(stripe.updateSubscription).toHaveBeenCalledWith(
        'sub_1',
        { cancel_at_period_end: true },
        { idempotencyKey: 'user-1:cancel:key-1' },
      );
    });
  });

  describe('Stripe errors', () => {
    const { errors } = Stripe;
    const raw = { message: 'Stripe says no', requestId: 'req_9' };

    it.each([
      ['a connection failure', new errors.StripeConnectionError(raw)],
      ['an API error', new errors.StripeAPIError({ ...raw, statusCode: 500 })],
      ['a rate limit', new errors.StripeRateLimitError({ ...raw, statusCode: 429 })],
      ['our key refused', new errors.StripeAuthenticationError({ ...raw, statusCode: 401 })],
      ['our key lacking a permission', new errors.StripePermissionError({ ...raw, statusCode: 403 })],
      ['a 5xx of another kind', new errors.StripeInvalidRequestError({ ...raw, statusCode: 502 })],
      ['an error without a status', new errors.StripeInvalidRequestError(raw)],
    ])('answers BILLING_PROVIDER_UNAVAILABLE for %s', async (_kind, error) => {
      stripe.createPortal.mockRejectedValue(error);

      await expect(sut.portalUrl(user)).rejects.toThrow(BillingProviderUnavailableError);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ operation: 'billingPortal.sessions.create', stripeRequestId: 'req_9' }),
        'Stripe API unavailable',
      );
    });

    it.each([
      ['an invalid request', new errors.StripeInvalidRequestError({ ...raw, statusCode: 400 })],
      ['a declined card', new errors.StripeCardError({ ...raw, statusCode: 402 })],
      [
        'an idempotency key reused with other parameters',
        new errors.StripeIdempotencyError({ ...raw, statusCode: 400 }),
      ],
    ])('answers BILLING_PROVIDER_REJECTED for %s', async (_kind, error) => {
      stripe.updateSubscription.mockRejectedValue(error);

      await expect(sut.setCancelAtPeriodEnd(stripeSubscription, true, 'k')).rejects.toThrow(
        BillingProviderRejectedError,
      );
      expect(logs.warn).toHaveBeenCalledWith(
        expect.objectContaining({ operation: 'subscriptions.update', statusCode: error.statusCode }),
        'Stripe API rejected a request',
      );
    });

    it('never logs a Stripe key an error message carries', async () => {
      stripe.createPortal.mockRejectedValue(
        new errors.StripeAuthenticationError({
          message: 'Invalid API Key provided: sk_test_abc***xyz',
          statusCode: 401,
        }),
      );

      await expect(sut.portalUrl(user)).rejects.toThrow(BillingProviderUnavailableError);
      expect(logs.error).toHaveBeenCalledWith(
        expect.objectContaining({ message: 'Invalid API Key provided: sk_test_[redacted]' }),
        'Stripe API unavailable',
      );
    });

    it('throws an error that is not Stripe’s as it is', async () => {
      const bug = new TypeError('bug');
      stripe.createPortal.mockRejectedValue(bug);

      await expect(sut.portalUrl(user)).rejects.toBe(bug);
    });
  });

  describe('without STRIPE_SECRET_KEY', () => {
    it('is not configured, and answers unavailable rather than calling Stripe', async () => {
      const unconfigured = new StripeBillingProvider(
        customers as unknown as BillingCustomersRepository,
        makeStripeConfig({ secretKey: undefined }),
      );

      expect(unconfigured.configured).toBe(false);
      await expect(unconfigured.portalUrl(user)).rejects.toThrow(BillingProviderUnavailableError);
      await expect(unconfigured.retrieveSubscription('sub_1')).rejects.toThrow(BillingProviderUnavailableError);
    });
  });
});
