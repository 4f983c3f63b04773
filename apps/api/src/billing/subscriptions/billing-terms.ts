import type { Plan } from '@app/database';
import { PlanNotPurchasableError } from '../billing.errors.js';
import type { PlanChangeTerms } from './billing-provider.js';
import type {
  LocalInvoiceDraft,
  NewSubscription,
  SubscriptionChanges,
  SubscriptionWithPlan,
} from './subscriptions.repository.js';

const DAY_MS = 86_400_000;

export function addInterval(date: Date, interval: Plan['interval'], count = 1): Date {
  const next = new Date(date);
  if (interval === 'YEAR') next.setUTCFullYear(next.getUTCFullYear() + count);
  else next.setUTCMonth(next.getUTCMonth() + count);
  return next;
}

/** Free plans are not bought, and retired ones (`active: false`) no longer are. */
export function assertPurchasable(plan: Plan): void {
  if (!plan.active || plan.priceCents === 0) throw new PlanNotPurchasableError();
}

/** Trials are once per user: a user who had one (on any plan, with any provider) starts paid. */
export function trialDaysFor(plan: Plan, hadTrial: boolean): number {
  return hadTrial ? 0 : plan.trialDays;
}

/**
 * A new local subscription: trialing for `trialDays`, or a paid period invoiced at once (the
 * local provider takes no payment: its invoices are paid when written).
 */
export function localFirstPeriod(
  plan: Plan,
  trialDays: number,
  now: Date,
): { subscription: NewSubscription; invoices: LocalInvoiceDraft[] } {
  const trialing = trialDays > 0;
  const periodEnd = trialing ? new Date(now.getTime() + trialDays * DAY_MS) : addInterval(now, plan.interval);
  return {
    subscription: {
      planId: plan.id,
      provider: 'local',
      status: trialing ? 'TRIALING' : 'ACTIVE',
      currentPeriodStart: now,
      currentPeriodEnd: periodEnd,
      trialEndsAt: trialing ? periodEnd : null,
      providerUpdatedAt: now,
    },
    invoices: trialing ? [] : [periodInvoice(plan, now, periodEnd)],
  };
}

/** The invoice of one full period of a plan. */
export function periodInvoice(plan: Plan, periodStart: Date, periodEnd: Date): LocalInvoiceDraft {
  return { amountCents: plan.priceCents, currency: plan.currency, periodStart, periodEnd };
}

export interface PlanChange {
  changes: SubscriptionChanges;
  /** What the user owes for the change (negative: a credit); null when nothing is billed yet. */
  invoice: LocalInvoiceDraft | null;
  /** The trial's new end, for the provider. */
  terms: PlanChangeTerms;
}

/**
 * A switch of `current` to `target` at `now`, as Stripe does it (`proration_behavior=always_invoice`):
 *
 * - Trialing: the trial continues only as far as the target plan's own trial would have gone (counted
 *   from the trial's start); a target without a trial, or a shorter trial already over, ends the
 *   trial now (Stripe `trial_end=now`): active, a new period of the target's interval starting now,
 *   invoiced in full.
 * - Paid, same interval: the period stays; the unused time of the old price is credited and the rest
 *   of the period on the new price charged, both to the second, in one invoice for the difference.
 * - Paid, another interval: the period restarts now (Stripe resets the billing cycle), charged in
 *   full less the credit for the unused time of the old price.
 */
export function planChange(current: SubscriptionWithPlan, target: Plan, now: Date): PlanChange {
  const planId = target.id;
  if (current.status === 'TRIALING') {
    const trialEnd = current.trialEndsAt ?? current.currentPeriodEnd;
    const targetTrialEnd = new Date(current.currentPeriodStart.getTime() + target.trialDays * DAY_MS);
    const end = target.trialDays > 0 && targetTrialEnd < trialEnd ? targetTrialEnd : trialEnd;
    if (target.trialDays > 0 && end > now) {
      return {
        changes: { planId, currentPeriodEnd: end, trialEndsAt: end },
        invoice: null,
        terms: end < trialEnd ? { trialEnd: end } : {},
      };
    }
    const periodEnd = addInterval(now, target.interval);
    return {
      changes: { planId, status: 'ACTIVE', trialEndsAt: now, currentPeriodStart: now, currentPeriodEnd: periodEnd },
      invoice: periodInvoice(target, now, periodEnd),
      terms: { trialEnd: 'now' },
    };
  }

  const periodSeconds = Math.max(
    1,
    Math.round((current.currentPeriodEnd.getTime() - current.currentPeriodStart.getTime()) / 1000),
  );
  const remainingSeconds = Math.min(
    periodSeconds,
    Math.max(0, Math.floor((current.currentPeriodEnd.getTime() - now.getTime()) / 1000)),
  );
  const prorated = (priceCents: number) => Math.round((priceCents * remainingSeconds) / periodSeconds);
  const credit = prorated(current.plan.priceCents);
  if (target.interval === current.plan.interval) {
    return {
      changes: { planId },
      invoice: {
        amountCents: prorated(target.priceCents) - credit,
        currency: target.currency,
        periodStart: now,
        periodEnd: current.currentPeriodEnd,
      },
      terms: {},
    };
  }
  const periodEnd = addInterval(now, target.interval);
  return {
    changes: { planId, currentPeriodStart: now, currentPeriodEnd: periodEnd },
    invoice: { ...periodInvoice(target, now, periodEnd), amountCents: target.priceCents - credit },
    terms: {},
  };
}
