import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppCache } from '@app/redis';
import { NoSubscriptionError } from '../billing.errors.js';
import type { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import {
  BILLING_NOW,
  daysFromNow,
  makeBillingConfig,
  makeBillingPlan,
  makeBillingSubscription,
  makeCache,
  makeCheckoutSessionsRepository,
  makeSubscriptionsRepository,
} from '../testing/billing.builders.js';
import type { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { LocalBillingProvider } from './local-billing.provider.js';

describe(LocalBillingProvider.name, () => {
  let subscriptions: ReturnType<typeof makeSubscriptionsRepository>;
  let cache: ReturnType<typeof makeCache>;
  let sut: LocalBillingProvider;

  beforeEach(() => {
    vi.useFakeTimers({ now: BILLING_NOW });
    subscriptions = makeSubscriptionsRepository();
    cache = makeCache();
    sut = new LocalBillingProvider(
      makeCheckoutSessionsRepository() as unknown as CheckoutSessionsRepository,
      subscriptions as unknown as SubscriptionsRepository,
      cache as unknown as AppCache,
      makeBillingConfig(),
    );
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('settle', () => {
    it('leaves a subscription in its period, or canceled, as it is', async () => {
      const live = makeBillingSubscription();
      const canceled = makeBillingSubscription(makeBillingPlan(), {
        status: 'CANCELED',
        currentPeriodEnd: daysFromNow(-1),
      });

      await expect(sut.settle(live)).resolves.toBe(live);
      await expect(sut.settle(canceled)).resolves.toBe(canceled);
      expect(subscriptions.transition).not.toHaveBeenCalled();
    });

    it('ends a subscription set to cancel at its period end and drops the cached entitlements', async () => {
      const ending = makeBillingSubscription(makeBillingPlan(), {
        cancelAtPeriodEnd: true,
        currentPeriodEnd: daysFromNow(-1),
      });
      const ended = { ...ending, status: 'CANCELED' as const, canceledAt: daysFromNow(-1) };
      subscriptions.transition.mockResolvedValue(ended);

      await expect(sut.settle(ending)).resolves.toBe(ended);
      expect(subscriptions.transition).toHaveBeenCalledWith(
        ending.userId,
        ending.id,
        ending,
        { status: 'CANCELED', canceledAt: daysFromNow(-1), providerUpdatedAt: BILLING_NOW },
        [],
      );
      expect(cache.del).toHaveBeenCalledWith(`billing:entitlements:${ending.userId}`);
    });

    it('renews every period ended since, one invoice each', async () => {
      const plan = makeBillingPlan({ priceCents: 1900, currency: 'usd', interval: 'MONTH' });
      const lapsed = makeBillingSubscription(plan, {
        currentPeriodStart: new Date('2026-01-05T00:00:00.000Z'),
        currentPeriodEnd: new Date('2026-02-05T00:00:00.000Z'),
      });
      subscriptions.transition.mockImplementation(async (_userId, _id, _from, changes) => ({ ...lapsed, ...changes }));

      const settled = await sut.settle(lapsed);

      const [feb, mar, apr] = ['2026-02-05', '2026-03-05', '2026-04-05'].map((day) => new Date(`${day}T00:00:00.000Z`));
      expect(subscriptions.transition).toHaveBeenCalledWith(
        lapsed.userId,
        lapsed.id,
        lapsed,
        { status: 'ACTIVE', currentPeriodStart: mar, currentPeriodEnd: apr, providerUpdatedAt: BILLING_NOW },
        [
          { amountCents: 1900, currency: 'usd', periodStart: feb, periodEnd: mar },
          { amountCents: 1900, currency: 'usd', periodStart: mar, periodEnd: apr },
        ],
      );
      expect(settled).toMatchObject({ status: 'ACTIVE', currentPeriodEnd: apr });
      expect(cache.del).toHaveBeenCalledWith(`billing:entitlements:${lapsed.userId}`);
    });

    it('answers the state a concurrent read settled first, and writes nothing itself', async () => {
      const lapsed = makeBillingSubscription(makeBillingPlan(), { currentPeriodEnd: daysFromNow(-1) });
      const moved = { ...lapsed, currentPeriodStart: daysFromNow(-1), currentPeriodEnd: daysFromNow(29) };
      subscriptions.transition.mockResolvedValue(null);
      subscriptions.findById.mockResolvedValue(moved);

      await expect(sut.settle(lapsed)).resolves.toBe(moved);
      expect(subscriptions.findById).toHaveBeenCalledWith(lapsed.userId, lapsed.id);
      expect(cache.del).not.toHaveBeenCalled();
    });

    it('throws NO_SUBSCRIPTION when the subscription vanished meanwhile', async () => {
      subscriptions.transition.mockResolvedValue(null);
      subscriptions.findById.mockResolvedValue(null);

      await expect(
        sut.settle(makeBillingSubscription(makeBillingPlan(), { currentPeriodEnd: daysFromNow(-1) })),
      ).rejects.toThrow(NoSubscriptionError);
    });
  });
});
