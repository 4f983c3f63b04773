import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { AppCache } from '@app/redis';
import { LimitExceededError } from '../billing.errors.js';
import type { BillingService } from '../subscriptions/billing.service.js';
import type { PlansRepository } from '../subscriptions/plans.repository.js';
import type { SubscriptionWithPlan } from '../subscriptions/subscriptions.repository.js';
import {
  BILLING_NOW,
  daysFromNow,
  makeBillingCollaborators,
  makeBillingConfig,
  makeBillingPlan,
  makeBillingService,
  makeBillingServiceMock,
  makeBillingSubscription,
  makeCache,
  makePlansRepository,
} from '../testing/billing.builders.js';
import type { Entitlements } from './entitlements.js';
import { EntitlementsService } from './entitlements.service.js';

const GRACE_SECONDS = 3 * 86_400;
const secondsFromNow = (seconds: number) => new Date(BILLING_NOW.getTime() + seconds * 1000);

describe(EntitlementsService.name, () => {
  const userId = randomUUID();
  const key = `billing:entitlements:${userId}`;
  const freePlan = makeBillingPlan({
    code: 'free',
    priceCents: 0,
    entitlements: { features: [], limits: { projects: 1 } },
  });
  const proPlan = makeBillingPlan({
    code: 'pro',
    entitlements: { features: ['exports', 'api'], limits: { projects: 10, seats: 3 } },
  });
  const freeEntitlements: Entitlements = { planCode: 'free', features: [], limits: { projects: 1 } };
  const proEntitlements: Entitlements = {
    planCode: 'pro',
    features: ['exports', 'api'],
    limits: { projects: 10, seats: 3 },
  };

  let billing: ReturnType<typeof makeBillingServiceMock>;
  let plans: ReturnType<typeof makePlansRepository>;
  let cache: ReturnType<typeof makeCache>;
  let sut: EntitlementsService;

  beforeEach(() => {
    vi.useFakeTimers({ now: BILLING_NOW });
    billing = makeBillingServiceMock();
    plans = makePlansRepository();
    plans.findByCode.mockResolvedValue(freePlan);
    cache = makeCache();
    sut = new EntitlementsService(
      billing as unknown as BillingService,
      plans as unknown as PlansRepository,
      cache as unknown as AppCache,
      makeBillingConfig({ pastDueGracePeriodSeconds: GRACE_SECONDS }),
    );
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('effective', () => {
    it('answers cached entitlements without reading the subscription', async () => {
      cache.read.mockResolvedValue({ status: 'hit', value: proEntitlements });

      await expect(sut.effective(userId)).resolves.toEqual(proEntitlements);
      expect(cache.read).toHaveBeenCalledWith(key);
      expect(billing.findLiveSubscription).not.toHaveBeenCalled();
      expect(plans.findByCode).not.toHaveBeenCalled();
      expect(cache.set).not.toHaveBeenCalled();
    });

    it('gives a user without a subscription the free plan, and caches it for five minutes', async () => {
      billing.findLiveSubscription.mockResolvedValue(null);

      await expect(sut.effective(userId)).resolves.toEqual(freeEntitlements);
      expect(billing.findLiveSubscription).toHaveBeenCalledWith(userId);
      expect(plans.findByCode).toHaveBeenCalledWith('free');
      expect(cache.set).toHaveBeenCalledWith(key, freeEntitlements, 300);
    });

    it('grants nothing under the free code when the free plan row is missing', async () => {
      billing.findLiveSubscription.mockResolvedValue(null);
      plans.findByCode.mockResolvedValue(null);

      await expect(sut.effective(userId)).resolves.toEqual({ planCode: 'free', features: [], limits: {} });
      expect(cache.set).toHaveBeenCalledWith(key, { planCode: 'free', features: [], limits: {} }, 300);
    });

    it('computes them when the cache is unavailable', async () => {
      cache.read.mockResolvedValue({ status: 'unavailable' });
      billing.findLiveSubscription.mockResolvedValue(makeBillingSubscription(proPlan, { userId }));

      await expect(sut.effective(userId)).resolves.toEqual(proEntitlements);
      expect(cache.set).toHaveBeenCalledWith(key, proEntitlements, 300);
    });

    it.each(['ACTIVE', 'TRIALING'] as const)("grants a %s subscription its plan's entitlements", async (status) => {
      billing.findLiveSubscription.mockResolvedValue(makeBillingSubscription(proPlan, { userId, status }));

      await expect(sut.effective(userId)).resolves.toEqual(proEntitlements);
      expect(plans.findByCode).not.toHaveBeenCalled();
      expect(cache.set).toHaveBeenCalledWith(key, proEntitlements, 300);
    });

    it('never caches them past the end of the period', async () => {
      billing.findLiveSubscription.mockResolvedValue(
        makeBillingSubscription(proPlan, { userId, currentPeriodEnd: secondsFromNow(90.5) }),
      );

      await sut.effective(userId);

      expect(cache.set).toHaveBeenCalledWith(key, proEntitlements, 90);
    });

    it.each(['INCOMPLETE', 'CANCELED'] as const)('gives a %s subscription the free plan', async (status) => {
      billing.findLiveSubscription.mockResolvedValue(makeBillingSubscription(proPlan, { userId, status }));

      await expect(sut.effective(userId)).resolves.toEqual(freeEntitlements);
      expect(plans.findByCode).toHaveBeenCalledWith('free');
    });

    describe('past due', () => {
      const livePastDue = (overrides: Partial<SubscriptionWithPlan>) =>
        billing.findLiveSubscription.mockResolvedValue(
          makeBillingSubscription(proPlan, { userId, status: 'PAST_DUE', ...overrides }),
        );

      it('keeps the plan through the grace period, counted from the failed payment', async () => {
        livePastDue({ pastDueSince: daysFromNow(-1) });

        await expect(sut.effective(userId)).resolves.toEqual(proEntitlements);
        expect(cache.set).toHaveBeenCalledWith(key, proEntitlements, 300);
      });

      it('caches them no longer than the grace period has left', async () => {
        livePastDue({
          pastDueSince: secondsFromNow(-GRACE_SECONDS + 45),
          currentPeriodEnd: daysFromNow(30),
        });

        await sut.effective(userId);

        expect(cache.set).toHaveBeenCalledWith(key, proEntitlements, 45);
      });

      it('falls back to the free plan once the grace period is over', async () => {
        livePastDue({
          pastDueSince: secondsFromNow(-GRACE_SECONDS),
          currentPeriodEnd: daysFromNow(30),
        });

        await expect(sut.effective(userId)).resolves.toEqual(freeEntitlements);
        expect(cache.set).toHaveBeenCalledWith(key, freeEntitlements, 300);
      });

      it("counts the grace from the provider's last update when the failure time is unknown", async () => {
        livePastDue({
          pastDueSince: null,
          providerUpdatedAt: daysFromNow(-4),
        });

        await expect(sut.effective(userId)).resolves.toEqual(freeEntitlements);
      });
    });

    it('reads the very entry the billing service drops on a subscription change', async () => {
      const collaborators = makeBillingCollaborators();
      const realBilling = makeBillingService(collaborators);
      cache.read.mockResolvedValue({ status: 'hit', value: proEntitlements });

      await sut.effective(userId);
      await realBilling.subscriptionChanged(userId);

      expect(collaborators.cache.del).toHaveBeenCalledWith(cache.read.mock.calls[0]![0]);
    });
  });

  describe('can', () => {
    it('answers whether the plan includes the feature', async () => {
      cache.read.mockResolvedValue({ status: 'hit', value: proEntitlements });

      await expect(sut.can(userId, 'exports')).resolves.toBe(true);
      await expect(sut.can(userId, 'sso')).resolves.toBe(false);
    });
  });

  describe('limit', () => {
    it('answers the named limit, or 0 when the plan does not name it', async () => {
      cache.read.mockResolvedValue({ status: 'hit', value: proEntitlements });

      await expect(sut.limit(userId, 'projects')).resolves.toBe(10);
      await expect(sut.limit(userId, 'webhooks')).resolves.toBe(0);
    });
  });

  describe('assertWithin', () => {
    beforeEach(() => {
      cache.read.mockResolvedValue({ status: 'hit', value: proEntitlements });
    });

    it('passes while there is room for one more', async () => {
      await expect(sut.assertWithin(userId, 'seats', 2)).resolves.toBeUndefined();
    });

    it('throws PLAN_LIMIT_REACHED when the count uses the whole limit', async () => {
      await expect(sut.assertWithin(userId, 'seats', 3)).rejects.toThrow(LimitExceededError);
      await expect(sut.assertWithin(userId, 'seats', 3)).rejects.toMatchObject({
        code: 'PLAN_LIMIT_REACHED',
        kind: 'forbidden',
        message: 'Your plan allows at most 3 for seats.',
      });
    });

    it('throws PLAN_LIMIT_REACHED at once for a limit the plan does not name', async () => {
      await expect(sut.assertWithin(userId, 'webhooks', 0)).rejects.toThrow(LimitExceededError);
    });
  });
});
