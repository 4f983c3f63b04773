import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { hashOpaqueToken } from '@app/common';
import { AlreadySubscribedError, CheckoutLinkInvalidError, PlanNotPurchasableError } from '../billing.errors.js';
import type { BillingService } from '../subscriptions/billing.service.js';
import type { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import {
  BILLING_NOW,
  makeBillingPlan,
  makeBillingServiceMock,
  makeBillingSubscription,
  makeCheckoutSessionsRepository,
  makeSubscriptionsRepository,
} from '../testing/billing.builders.js';
import type { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { LocalCheckoutService } from './local-checkout.service.js';

describe(LocalCheckoutService.name, () => {
  const token = 'a-checkout-link-token';
  const userId = randomUUID();
  const plan = makeBillingPlan({ trialDays: 14 });
  const session = { id: randomUUID(), userId, plan };

  let checkouts: ReturnType<typeof makeCheckoutSessionsRepository>;
  let subscriptions: ReturnType<typeof makeSubscriptionsRepository>;
  let billing: ReturnType<typeof makeBillingServiceMock>;
  let sut: LocalCheckoutService;

  beforeEach(() => {
    vi.useFakeTimers({ now: BILLING_NOW });
    checkouts = makeCheckoutSessionsRepository();
    subscriptions = makeSubscriptionsRepository();
    billing = makeBillingServiceMock();
    sut = new LocalCheckoutService(
      checkouts as unknown as CheckoutSessionsRepository,
      subscriptions as unknown as SubscriptionsRepository,
      billing as unknown as BillingService,
    );
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('describe', () => {
    it("finds the pending session by the token's hash and offers the trial to a user who never had one", async () => {
      checkouts.findPending.mockResolvedValue(session);
      subscriptions.hasHadTrial.mockResolvedValue(false);

      await expect(sut.describe(token)).resolves.toEqual({ plan, trialDays: 14 });
      expect(checkouts.findPending).toHaveBeenCalledWith(hashOpaqueToken(token), BILLING_NOW);
    });

    it('refuses an unknown, used or expired link with CHECKOUT_LINK_INVALID', async () => {
      checkouts.findPending.mockResolvedValue(null);

      await expect(sut.describe(token)).rejects.toThrow(CheckoutLinkInvalidError);
    });

    it('refuses a link to a plan retired since with PLAN_NOT_PURCHASABLE', async () => {
      checkouts.findPending.mockResolvedValue({ ...session, plan: makeBillingPlan({ active: false }) });

      await expect(sut.describe(token)).rejects.toThrow(PlanNotPurchasableError);
    });
  });

  describe('complete', () => {
    it('uses up the link, starts the subscription and drops the cached entitlements', async () => {
      const started = makeBillingSubscription(plan, { userId, status: 'TRIALING' });
      checkouts.findPending.mockResolvedValue(session);
      checkouts.claim.mockResolvedValue(true);
      billing.findLiveSubscription.mockResolvedValue(null);
      subscriptions.createUnlessLive.mockResolvedValue(started);

      await expect(sut.complete(token)).resolves.toBe(started);
      expect(checkouts.claim).toHaveBeenCalledWith(session.id, BILLING_NOW);
      expect(billing.subscriptionChanged).toHaveBeenCalledWith(userId);
    });

    it('refuses a link another request used first with CHECKOUT_LINK_INVALID', async () => {
      checkouts.findPending.mockResolvedValue(session);
      checkouts.claim.mockResolvedValue(false);

      await expect(sut.complete(token)).rejects.toThrow(CheckoutLinkInvalidError);
      expect(subscriptions.createUnlessLive).not.toHaveBeenCalled();
    });

    it('refuses a user who subscribed meanwhile with ALREADY_SUBSCRIBED', async () => {
      checkouts.findPending.mockResolvedValue(session);
      checkouts.claim.mockResolvedValue(true);
      billing.findLiveSubscription.mockResolvedValue(null);
      subscriptions.createUnlessLive.mockResolvedValue(null);

      await expect(sut.complete(token)).rejects.toThrow(AlreadySubscribedError);
      expect(billing.subscriptionChanged).not.toHaveBeenCalled();
    });
  });
});
