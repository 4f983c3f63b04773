import { describe, expect, it } from 'vitest';
import type { Plan } from '@app/database';
import {
  BILLING_NOW as NOW,
  daysFromNow,
  makeBillingSubscription as makeSubscription,
} from '../testing/billing.builders.js';
import { planChange, trialDaysFor } from './billing-terms.js';

function makePlan(overrides: Partial<Plan> = {}): Plan {
  return {
    id: overrides.code ?? 'starter',
    code: 'starter',
    name: 'Starter',
    priceCents: 900,
    currency: 'usd',
    interval: 'MONTH',
    trialDays: 0,
    providerPriceId: null,
    entitlements: { features: [], limits: {} },
    active: true,
    sortOrder: 0,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

const starter = makePlan();
const team = makePlan({ code: 'team', priceCents: 4900, trialDays: 7 });
const pro = makePlan({ code: 'pro', priceCents: 1900, trialDays: 14 });
const business = makePlan({ code: 'business', priceCents: 19000, interval: 'YEAR' });

describe(trialDaysFor.name, () => {
  it("gives the plan's trial only to a user who never had one", () => {
    expect(trialDaysFor(pro, false)).toBe(14);
    expect(trialDaysFor(pro, true)).toBe(0);
  });
});

describe(planChange.name, () => {
  describe('out of a trial', () => {
    const trialing = makeSubscription(pro, {
      status: 'TRIALING',
      currentPeriodStart: daysFromNow(-2),
      currentPeriodEnd: daysFromNow(12),
      trialEndsAt: daysFromNow(12),
    });

    it('ends the trial now into a plan without one, and invoices its first period in full', () => {
      const sut = planChange(trialing, business, NOW);

      expect(sut).toEqual({
        changes: {
          planId: 'business',
          status: 'ACTIVE',
          trialEndsAt: NOW,
          currentPeriodStart: NOW,
          currentPeriodEnd: new Date('2027-03-11T12:00:00.000Z'),
        },
        invoice: {
          amountCents: 19000,
          currency: 'usd',
          periodStart: NOW,
          periodEnd: new Date('2027-03-11T12:00:00.000Z'),
        },
        terms: { trialEnd: 'now' },
      });
    });

    it("shortens the trial to the target plan's own, counted from the trial's start", () => {
      const sut = planChange(trialing, team, NOW);

      expect(sut).toEqual({
        changes: { planId: 'team', currentPeriodEnd: daysFromNow(5), trialEndsAt: daysFromNow(5) },
        invoice: null,
        terms: { trialEnd: daysFromNow(5) },
      });
    });

    it('never lengthens the trial', () => {
      const shortTrial = makeSubscription(team, {
        ...trialing,
        planId: 'team',
        plan: team,
        trialEndsAt: daysFromNow(5),
      });

      const sut = planChange({ ...shortTrial, currentPeriodEnd: daysFromNow(5) }, pro, NOW);

      expect(sut).toEqual({
        changes: { planId: 'pro', currentPeriodEnd: daysFromNow(5), trialEndsAt: daysFromNow(5) },
        invoice: null,
        terms: {},
      });
    });

    it("ends the trial now when the target's shorter trial is already over", () => {
      const sut = planChange({ ...trialing, currentPeriodStart: daysFromNow(-7) }, team, NOW);

      expect(sut.changes).toMatchObject({ status: 'ACTIVE', currentPeriodStart: NOW });
      expect(sut.invoice).toMatchObject({ amountCents: 4900 });
      expect(sut.terms).toEqual({ trialEnd: 'now' });
    });
  });

  describe('on a paid period', () => {
    it('prorates to the second within the same interval: credit the old price, charge the new', () => {
      const sut = planChange(makeSubscription(starter), team, NOW);

      // 20 of 30 days left: round(4900 * 2/3) - round(900 * 2/3)
      expect(sut).toEqual({
        changes: { planId: 'team' },
        invoice: { amountCents: 3267 - 600, currency: 'usd', periodStart: NOW, periodEnd: daysFromNow(20) },
        terms: {},
      });
    });

    it('records a downgrade as a credit (a negative amount)', () => {
      const sut = planChange(makeSubscription(team), starter, NOW);

      expect(sut.invoice?.amountCents).toBe(600 - 3267);
    });

    it('counts whole seconds left', () => {
      const subscription = makeSubscription(starter, {
        currentPeriodStart: new Date(NOW.getTime() - 1000),
        currentPeriodEnd: new Date(NOW.getTime() + 2999),
      });

      // 2 of 4 seconds left (the 0.999 s does not count)
      expect(planChange(subscription, team, NOW).invoice?.amountCents).toBe(2450 - 450);
    });

    it('starts a new period for another interval, charged in full less the unused time', () => {
      const sut = planChange(makeSubscription(starter), business, NOW);

      expect(sut.changes).toEqual({
        planId: 'business',
        currentPeriodStart: NOW,
        currentPeriodEnd: new Date('2027-03-11T12:00:00.000Z'),
      });
      expect(sut.invoice).toMatchObject({ amountCents: 19000 - 600, periodStart: NOW });
    });
  });
});
