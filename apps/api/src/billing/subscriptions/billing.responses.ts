import type { Invoice, Plan } from '@app/database';
import { entitlementsOf } from '../entitlements/entitlements.js';
import type { InvoiceResponseDto } from './dto/invoice-response.dto.js';
import type { PlanResponseDto } from './dto/plan-response.dto.js';
import type { AdminSubscriptionResponseDto, SubscriptionResponseDto } from './dto/subscription-response.dto.js';
import type { SubscriptionWithPlan } from './subscriptions.repository.js';

export function toPlanResponse(plan: Plan): PlanResponseDto {
  const { features, limits } = entitlementsOf(plan);
  return {
    code: plan.code,
    name: plan.name,
    priceCents: plan.priceCents,
    currency: plan.currency,
    interval: plan.interval,
    trialDays: plan.trialDays,
    features,
    limits,
  };
}

export function toSubscriptionResponse(subscription: SubscriptionWithPlan): SubscriptionResponseDto {
  return {
    id: subscription.id,
    planCode: subscription.plan.code,
    status: subscription.status,
    currentPeriodStart: subscription.currentPeriodStart,
    currentPeriodEnd: subscription.currentPeriodEnd,
    cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    trialEndsAt: subscription.trialEndsAt,
    canceledAt: subscription.canceledAt,
  };
}

export function toAdminSubscriptionResponse(subscription: SubscriptionWithPlan): AdminSubscriptionResponseDto {
  return {
    ...toSubscriptionResponse(subscription),
    userId: subscription.userId,
    provider: subscription.provider,
    createdAt: subscription.createdAt,
  };
}

export function toInvoiceResponse(invoice: Invoice): InvoiceResponseDto {
  return {
    id: invoice.id,
    number: invoice.number,
    amountCents: invoice.amountCents,
    currency: invoice.currency,
    status: invoice.status,
    hostedUrl: invoice.hostedUrl,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    createdAt: invoice.createdAt,
  };
}
