import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { BY_CREATION } from '@app/common';
import { UserNotFoundError } from '../../users/users.errors.js';
import {
  AlreadySubscribedError,
  NoSubscriptionError,
  PlanCurrencyMismatchError,
  PlanNotFoundError,
  PlanNotPurchasableError,
  SubscriptionChangedError,
} from '../billing.errors.js';
import {
  BILLING_NOW,
  daysFromNow,
  makeBillingCollaborators,
  makeBillingPlan,
  makeBillingService,
  makeBillingSubscription,
  makeInvoice,
  type BillingCollaborators,
} from '../testing/billing.builders.js';
import { toAdminSubscriptionResponse, toInvoiceResponse, toPlanResponse } from './billing.responses.js';
import { BillingService } from './billing.service.js';

describe(BillingService.name, () => {
  const userId = randomUUID();
  const contact = { id: userId, email: 'ada@example.com', name: 'Ada' };
  const entitlementsKey = `billing:entitlements:${userId}`;

  let plans: BillingCollaborators['plans'];
  let subscriptions: BillingCollaborators['subscriptions'];
  let invoices: BillingCollaborators['invoices'];
  let provider: BillingCollaborators['provider'];
  let cache: BillingCollaborators['cache'];
  let customers: BillingCollaborators['customers'];
  let sut: BillingService;

  beforeEach(() => {
    vi.useFakeTimers({ now: BILLING_NOW });
    const collaborators = makeBillingCollaborators();
    ({ plans, subscriptions, invoices, provider, cache, customers } = collaborators);
    sut = makeBillingService(collaborators);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('listPlans', () => {
    it('reads the active plans through the cache and maps them to the plan response', async () => {
      const starter = makeBillingPlan({ code: 'starter', priceCents: 900 });
      cache.getOrSet.mockImplementation((_key, _ttl, loader) => loader());
      plans.listActive.mockResolvedValue([starter]);

      const result = await sut.listPlans();

      expect(cache.getOrSet).toHaveBeenCalledWith('billing:plans', 300, expect.any(Function));
      expect(plans.listActive).toHaveBeenCalledTimes(1);
      expect(result).toEqual([toPlanResponse(starter)]);
      expect(result).toEqual([
        {
          code: 'starter',
          name: 'Pro',
          priceCents: 900,
          currency: 'usd',
          interval: 'MONTH',
          trialDays: 0,
          features: ['exports'],
          limits: { projects: 10 },
        },
      ]);
    });

    it('answers a cached list without querying the plans', async () => {
      const cached = makeBillingPlan();
      cache.getOrSet.mockResolvedValue([cached]);

      await expect(sut.listPlans()).resolves.toEqual([toPlanResponse(cached)]);
      expect(plans.listActive).not.toHaveBeenCalled();
    });
  });

  describe('startCheckout', () => {
    it('refuses an unknown plan with PLAN_NOT_FOUND', async () => {
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(null);

      await expect(sut.startCheckout(userId, 'gold')).rejects.toThrow(PlanNotFoundError);
      expect(plans.findByCode).toHaveBeenCalledWith('gold');
      expect(provider.startCheckout).not.toHaveBeenCalled();
    });

    it('refuses a retired plan with PLAN_NOT_PURCHASABLE', async () => {
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(makeBillingPlan({ code: 'legacy', active: false }));

      await expect(sut.startCheckout(userId, 'legacy')).rejects.toThrow(PlanNotPurchasableError);
      await expect(sut.startCheckout(userId, 'legacy')).rejects.toMatchObject({
        code: 'PLAN_NOT_PURCHASABLE',
        kind: 'unprocessable',
      });
      expect(subscriptions.findLive).not.toHaveBeenCalled();
      expect(provider.startCheckout).not.toHaveBeenCalled();
    });

    it('refuses the free plan with PLAN_NOT_PURCHASABLE', async () => {
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(makeBillingPlan({ code: 'free', priceCents: 0 }));

      await expect(sut.startCheckout(userId, 'free')).rejects.toThrow(PlanNotPurchasableError);
      expect(provider.startCheckout).not.toHaveBeenCalled();
    });

    it('refuses a user who already has a live subscription with ALREADY_SUBSCRIBED', async () => {
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(makeBillingPlan());
      subscriptions.findLive.mockResolvedValue(makeBillingSubscription(makeBillingPlan(), { userId }));

      await expect(sut.startCheckout(userId, 'pro')).rejects.toThrow(AlreadySubscribedError);
      expect(subscriptions.findLive).toHaveBeenCalledWith(userId);
      expect(provider.startCheckout).not.toHaveBeenCalled();
    });

    it('refuses a user that no longer exists with USER_NOT_FOUND', async () => {
      customers.findContact.mockResolvedValue(null);

      await expect(sut.startCheckout(userId, 'pro')).rejects.toThrow(UserNotFoundError);
      expect(plans.findByCode).not.toHaveBeenCalled();
      expect(provider.startCheckout).not.toHaveBeenCalled();
    });

    it("offers the plan's trial to a user who never had one, with the caller's idempotency key", async () => {
      const plan = makeBillingPlan({ trialDays: 14 });
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(plan);
      subscriptions.findLive.mockResolvedValue(null);
      subscriptions.hasHadTrial.mockResolvedValue(false);
      provider.startCheckout.mockResolvedValue({ url: 'https://pay.example/checkout' });

      const result = await sut.startCheckout(userId, 'pro', 'key-1');

      expect(result).toEqual({ url: 'https://pay.example/checkout' });
      expect(subscriptions.hasHadTrial).toHaveBeenCalledWith(userId);
      expect(provider.startCheckout).toHaveBeenCalledWith({
        user: contact,
        plan,
        trialDays: 14,
        idempotencyKey: 'key-1',
      });
    });

    it('offers no trial to a user who had one, and makes up an idempotency key when none is sent', async () => {
      const plan = makeBillingPlan({ trialDays: 14 });
      customers.findContact.mockResolvedValue(contact);
      plans.findByCode.mockResolvedValue(plan);
      subscriptions.findLive.mockResolvedValue(null);
      subscriptions.hasHadTrial.mockResolvedValue(true);
      provider.startCheckout.mockResolvedValue({ url: 'https://pay.example/checkout' });

      await sut.startCheckout(userId, 'pro');

      expect(provider.startCheckout).toHaveBeenCalledWith({
        user: contact,
        plan,
        trialDays: 0,
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    });
  });

  describe('changePlan', () => {
    /** Three days into the 14-day trial of Pro. */
    const trialingOnPro = () =>
      makeBillingSubscription(makeBillingPlan({ code: 'pro', trialDays: 14 }), {
        userId,
        status: 'TRIALING',
        currentPeriodStart: daysFromNow(-3),
        currentPeriodEnd: daysFromNow(11),
        trialEndsAt: daysFromNow(11),
      });

    it('refuses a plan billed in another currency with PLAN_CURRENCY_MISMATCH', async () => {
      const current = makeBillingSubscription(makeBillingPlan({ currency: 'usd' }), { userId });
      plans.findByCode.mockResolvedValue(makeBillingPlan({ code: 'pro-eur', currency: 'eur' }));
      subscriptions.findLive.mockResolvedValue(current);

      await expect(sut.changePlan(userId, 'pro-eur')).rejects.toThrow(PlanCurrencyMismatchError);
      await expect(sut.changePlan(userId, 'pro-eur')).rejects.toMatchObject({ code: 'PLAN_CURRENCY_MISMATCH' });
      expect(provider.changePlan).not.toHaveBeenCalled();
      expect(subscriptions.transition).not.toHaveBeenCalled();
      expect(subscriptions.update).not.toHaveBeenCalled();
    });

    it('refuses a retired target plan with PLAN_NOT_PURCHASABLE before reading the subscription', async () => {
      plans.findByCode.mockResolvedValue(makeBillingPlan({ active: false }));

      await expect(sut.changePlan(userId, 'pro')).rejects.toThrow(PlanNotPurchasableError);
      expect(subscriptions.findLive).not.toHaveBeenCalled();
      expect(provider.changePlan).not.toHaveBeenCalled();
    });

    it('refuses a user without a live subscription with NO_SUBSCRIPTION', async () => {
      plans.findByCode.mockResolvedValue(makeBillingPlan());
      subscriptions.findLive.mockResolvedValue(null);

      await expect(sut.changePlan(userId, 'pro')).rejects.toThrow(NoSubscriptionError);
      expect(provider.changePlan).not.toHaveBeenCalled();
    });

    it('answers the subscription unchanged when it is already on the plan', async () => {
      const plan = makeBillingPlan();
      const current = makeBillingSubscription(plan, { userId });
      plans.findByCode.mockResolvedValue(plan);
      subscriptions.findLive.mockResolvedValue(current);

      await expect(sut.changePlan(userId, plan.code)).resolves.toMatchObject({ id: current.id, planCode: 'pro' });
      expect(provider.changePlan).not.toHaveBeenCalled();
      expect(cache.del).not.toHaveBeenCalled();
    });

    it("shortens a running trial to the target plan's and passes the provider that trial end", async () => {
      const team = makeBillingPlan({ code: 'team', priceCents: 4900, trialDays: 7 });
      const current = trialingOnPro();
      const changed = { ...current, planId: team.id, plan: team, currentPeriodEnd: daysFromNow(4) };
      plans.findByCode.mockResolvedValue(team);
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.transition.mockResolvedValue(changed);

      const result = await sut.changePlan(userId, 'team', 'key-2');

      expect(provider.changePlan).toHaveBeenCalledWith(current, team, 'key-2', { trialEnd: daysFromNow(4) });
      expect(subscriptions.transition).toHaveBeenCalledWith(
        userId,
        current.id,
        current,
        {
          planId: team.id,
          currentPeriodEnd: daysFromNow(4),
          trialEndsAt: daysFromNow(4),
          providerUpdatedAt: BILLING_NOW,
        },
        [],
      );
      expect(cache.del).toHaveBeenCalledWith(entitlementsKey);
      expect(result).toMatchObject({ id: current.id, planCode: 'team', currentPeriodEnd: daysFromNow(4) });
    });

    it('ends the trial now at the provider and invoices the period when the target has no trial', async () => {
      const team = makeBillingPlan({ code: 'team', priceCents: 4900, trialDays: 0 });
      const current = trialingOnPro();
      plans.findByCode.mockResolvedValue(team);
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.transition.mockResolvedValue({ ...current, planId: team.id, plan: team, status: 'ACTIVE' });
      const periodEnd = new Date('2026-04-11T12:00:00.000Z');

      await sut.changePlan(userId, 'team', 'key-3');

      expect(provider.changePlan).toHaveBeenCalledWith(current, team, 'key-3', { trialEnd: 'now' });
      expect(subscriptions.transition).toHaveBeenCalledWith(
        userId,
        current.id,
        current,
        {
          planId: team.id,
          status: 'ACTIVE',
          trialEndsAt: BILLING_NOW,
          currentPeriodStart: BILLING_NOW,
          currentPeriodEnd: periodEnd,
          providerUpdatedAt: BILLING_NOW,
        },
        [{ amountCents: 4900, currency: 'usd', periodStart: BILLING_NOW, periodEnd }],
      );
    });

    it("writes a provider's subscription through update and leaves its invoices to the webhooks", async () => {
      const pro = makeBillingPlan({ code: 'pro' });
      const team = makeBillingPlan({ code: 'team', priceCents: 4900 });
      const current = makeBillingSubscription(pro, { userId, provider: 'stripe', providerSubscriptionId: 'sub_1' });
      plans.findByCode.mockResolvedValue(team);
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.update.mockResolvedValue({ ...current, planId: team.id, plan: team });

      const result = await sut.changePlan(userId, 'team', 'key-4');

      expect(provider.changePlan).toHaveBeenCalledWith(current, team, 'key-4', {});
      expect(subscriptions.update).toHaveBeenCalledWith(userId, current.id, { planId: team.id });
      expect(subscriptions.transition).not.toHaveBeenCalled();
      expect(cache.del).toHaveBeenCalledWith(entitlementsKey);
      expect(result.planCode).toBe('team');
    });

    it('throws SUBSCRIPTION_CHANGED when a concurrent request moved the local subscription first', async () => {
      const current = makeBillingSubscription(makeBillingPlan({ code: 'pro' }), { userId });
      plans.findByCode.mockResolvedValue(makeBillingPlan({ code: 'team', priceCents: 4900 }));
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.transition.mockResolvedValue(null);

      await expect(sut.changePlan(userId, 'team')).rejects.toThrow(SubscriptionChangedError);
      expect(cache.del).not.toHaveBeenCalled();
    });
  });

  describe.each([
    { method: 'cancelAtPeriodEnd', cancel: true },
    { method: 'resume', cancel: false },
  ] as const)('$method', ({ method, cancel }) => {
    it('sets the cancellation at the provider, stores it stamped now and drops the cached entitlements', async () => {
      const current = makeBillingSubscription(makeBillingPlan(), { userId, cancelAtPeriodEnd: !cancel });
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.update.mockResolvedValue({ ...current, cancelAtPeriodEnd: cancel });

      const result = await sut[method](userId, 'key-5');

      expect(provider.setCancelAtPeriodEnd).toHaveBeenCalledWith(current, cancel, 'key-5');
      expect(subscriptions.update).toHaveBeenCalledWith(userId, current.id, {
        cancelAtPeriodEnd: cancel,
        providerUpdatedAt: BILLING_NOW,
      });
      expect(cache.del).toHaveBeenCalledWith(entitlementsKey);
      expect(result).toMatchObject({ id: current.id, cancelAtPeriodEnd: cancel });
    });

    it("keeps a provider's own timestamp on its subscription", async () => {
      const current = makeBillingSubscription(makeBillingPlan(), {
        userId,
        provider: 'stripe',
        cancelAtPeriodEnd: !cancel,
      });
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.update.mockResolvedValue({ ...current, cancelAtPeriodEnd: cancel });

      await sut[method](userId, 'key-6');

      expect(subscriptions.update).toHaveBeenCalledWith(userId, current.id, { cancelAtPeriodEnd: cancel });
    });

    it('answers a subscription already in that state without calling the provider', async () => {
      const current = makeBillingSubscription(makeBillingPlan(), { userId, cancelAtPeriodEnd: cancel });
      subscriptions.findLive.mockResolvedValue(current);

      await expect(sut[method](userId)).resolves.toMatchObject({ id: current.id, cancelAtPeriodEnd: cancel });
      expect(provider.setCancelAtPeriodEnd).not.toHaveBeenCalled();
      expect(subscriptions.update).not.toHaveBeenCalled();
    });

    it('refuses a user without a live subscription with NO_SUBSCRIPTION', async () => {
      subscriptions.findLive.mockResolvedValue(null);

      await expect(sut[method](userId)).rejects.toThrow(NoSubscriptionError);
      expect(provider.setCancelAtPeriodEnd).not.toHaveBeenCalled();
    });

    it('throws NO_SUBSCRIPTION when the subscription vanished before the update', async () => {
      const current = makeBillingSubscription(makeBillingPlan(), { userId, cancelAtPeriodEnd: !cancel });
      subscriptions.findLive.mockResolvedValue(current);
      subscriptions.update.mockResolvedValue(null);

      await expect(sut[method](userId)).rejects.toThrow(NoSubscriptionError);
      expect(cache.del).not.toHaveBeenCalled();
    });
  });

  describe('getSubscription', () => {
    it('answers the latest subscription in the subscription response shape', async () => {
      const current = makeBillingSubscription(makeBillingPlan(), { userId });
      subscriptions.findLatest.mockResolvedValue(current);

      await expect(sut.getSubscription(userId)).resolves.toEqual({
        id: current.id,
        planCode: 'pro',
        status: 'ACTIVE',
        currentPeriodStart: daysFromNow(-10),
        currentPeriodEnd: daysFromNow(20),
        cancelAtPeriodEnd: false,
        trialEndsAt: null,
        canceledAt: null,
      });
      expect(subscriptions.findLatest).toHaveBeenCalledWith(userId);
    });

    it('throws NO_SUBSCRIPTION for a user who never subscribed', async () => {
      subscriptions.findLatest.mockResolvedValue(null);

      await expect(sut.getSubscription(userId)).rejects.toThrow(NoSubscriptionError);
    });
  });

  describe('listInvoices', () => {
    it('fetches one extra row, maps each through the invoice response and answers the next cursor', async () => {
      const rows = [makeInvoice({ userId }), makeInvoice({ userId }), makeInvoice({ userId })];
      invoices.listForUser.mockResolvedValue(rows);

      const page = await sut.listInvoices(userId, { cursor: 'abc', limit: 2 });

      expect(invoices.listForUser).toHaveBeenCalledWith(userId, { cursor: 'abc', take: 3 });
      expect(page.items).toEqual([toInvoiceResponse(rows[0]!), toInvoiceResponse(rows[1]!)]);
      expect(page.items[0]).not.toHaveProperty('userId');
      expect(page.items[0]).not.toHaveProperty('providerInvoiceId');
      expect(BY_CREATION.decode(page.nextCursor!)).toEqual({ createdAt: rows[1]!.createdAt, id: rows[1]!.id });
    });

    it('answers no cursor on the last page', async () => {
      invoices.listForUser.mockResolvedValue([makeInvoice({ userId })]);

      const page = await sut.listInvoices(userId, { limit: 2 });

      expect(invoices.listForUser).toHaveBeenCalledWith(userId, { cursor: undefined, take: 3 });
      expect(page.nextCursor).toBeNull();
    });
  });

  describe('listAllSubscriptions', () => {
    it('passes the filter on and maps each row through the admin subscription response', async () => {
      const rows = [makeBillingSubscription(makeBillingPlan(), { status: 'PAST_DUE' })];
      subscriptions.listAll.mockResolvedValue(rows);

      const page = await sut.listAllSubscriptions({ status: 'PAST_DUE', limit: 5 });

      expect(subscriptions.listAll).toHaveBeenCalledWith({ status: 'PAST_DUE', cursor: undefined, take: 6 });
      expect(page).toEqual({ items: [toAdminSubscriptionResponse(rows[0]!)], nextCursor: null });
      expect(page.items[0]).toMatchObject({ userId: rows[0]!.userId, provider: 'local', status: 'PAST_DUE' });
    });
  });

  describe('invalidatePlans', () => {
    it('drops the cached plan list', async () => {
      await sut.invalidatePlans();

      expect(cache.del).toHaveBeenCalledWith('billing:plans');
    });
  });
});
