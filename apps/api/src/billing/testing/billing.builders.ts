import { vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { AppCache } from '@app/redis';
import type { AppConfig } from '@app/config';
import type { Invoice, Plan } from '@app/database';
import type { CheckoutSessionsRepository } from '../local/checkout-sessions.repository.js';
import { LocalBillingProvider } from '../local/local-billing.provider.js';
import type { StripeBillingProvider } from '../stripe/stripe-billing.provider.js';
import type {
  ProviderEvent,
  ProviderEventWrites,
  WebhookEventsRepository,
} from '../stripe/webhook-events.repository.js';
import type { BillingCustomersRepository } from '../subscriptions/billing-customers.repository.js';
import { BillingProviders, type BillingProvider } from '../subscriptions/billing-provider.js';
import { BillingService } from '../subscriptions/billing.service.js';
import type { InvoicesRepository } from '../subscriptions/invoices.repository.js';
import type { PlansRepository } from '../subscriptions/plans.repository.js';
import type { SubscriptionsRepository, SubscriptionWithPlan } from '../subscriptions/subscriptions.repository.js';

/** The fixed "now" of the billing unit tests (set with fake timers). */
export const BILLING_NOW = new Date('2026-03-11T12:00:00.000Z');
const DAY_MS = 86_400_000;

/** `BILLING_NOW` moved by a number of days (negative: in the past). */
export function daysFromNow(days: number): Date {
  return new Date(BILLING_NOW.getTime() + days * DAY_MS);
}

export function makeBillingPlan(overrides: Partial<Plan> = {}): Plan {
  return {
    id: randomUUID(),
    code: 'pro',
    name: 'Pro',
    priceCents: 1900,
    currency: 'usd',
    interval: 'MONTH',
    trialDays: 0,
    providerPriceId: null,
    entitlements: { features: ['exports'], limits: { projects: 10 } },
    active: true,
    sortOrder: 1,
    createdAt: daysFromNow(-100),
    updatedAt: daysFromNow(-100),
    ...overrides,
  };
}

/** A live (active, mid-period, local) subscription on `plan`. */
export function makeBillingSubscription(
  plan: Plan = makeBillingPlan(),
  overrides: Partial<SubscriptionWithPlan> = {},
): SubscriptionWithPlan {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    planId: plan.id,
    plan,
    provider: 'local',
    providerSubscriptionId: null,
    status: 'ACTIVE',
    currentPeriodStart: daysFromNow(-10),
    currentPeriodEnd: daysFromNow(20),
    cancelAtPeriodEnd: false,
    canceledAt: null,
    trialEndsAt: null,
    pastDueSince: null,
    providerUpdatedAt: daysFromNow(-10),
    createdAt: daysFromNow(-10),
    updatedAt: daysFromNow(-10),
    ...overrides,
  };
}

export function makeInvoice(overrides: Partial<Invoice> = {}): Invoice {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    subscriptionId: randomUUID(),
    provider: 'local',
    providerInvoiceId: null,
    number: 'INV-0001',
    amountCents: 1900,
    currency: 'usd',
    status: 'PAID',
    hostedUrl: null,
    periodStart: daysFromNow(-10),
    periodEnd: daysFromNow(20),
    createdAt: daysFromNow(-10),
    updatedAt: daysFromNow(-10),
    ...overrides,
  };
}

export function makePlansRepository() {
  return {
    listActive: vi.fn<PlansRepository['listActive']>(),
    findByCode: vi.fn<PlansRepository['findByCode']>(),
    findByProviderPriceId: vi.fn<PlansRepository['findByProviderPriceId']>(),
  };
}

export function makeSubscriptionsRepository() {
  return {
    findLive: vi.fn<SubscriptionsRepository['findLive']>(),
    findLatest: vi.fn<SubscriptionsRepository['findLatest']>(),
    findById: vi.fn<SubscriptionsRepository['findById']>(),
    existsAtProvider: vi.fn<SubscriptionsRepository['existsAtProvider']>(),
    hasHadTrial: vi.fn<SubscriptionsRepository['hasHadTrial']>(),
    createUnlessLive: vi.fn<SubscriptionsRepository['createUnlessLive']>(),
    transition: vi.fn<SubscriptionsRepository['transition']>(),
    update: vi.fn<SubscriptionsRepository['update']>(),
    listAll: vi.fn<SubscriptionsRepository['listAll']>(),
  };
}

export function makeInvoicesRepository() {
  return { listForUser: vi.fn<InvoicesRepository['listForUser']>() };
}

export function makeCheckoutSessionsRepository() {
  return {
    create: vi.fn<CheckoutSessionsRepository['create']>(),
    findPending: vi.fn<CheckoutSessionsRepository['findPending']>(),
    claim: vi.fn<CheckoutSessionsRepository['claim']>(),
  };
}

export function makeBillingCustomersRepository() {
  return {
    findContact: vi.fn<BillingCustomersRepository['findContact']>(),
    findCustomerId: vi.fn<BillingCustomersRepository['findCustomerId']>(),
    link: vi.fn<BillingCustomersRepository['link']>(),
  };
}

export function makeBillingProvider() {
  return {
    name: 'local' as const,
    recordsHere: true,
    settle: vi.fn<BillingProvider['settle']>(async (subscription) => subscription),
    startCheckout: vi.fn<BillingProvider['startCheckout']>(),
    portalUrl: vi.fn<BillingProvider['portalUrl']>(),
    changePlan: vi.fn<BillingProvider['changePlan']>().mockResolvedValue(undefined),
    setCancelAtPeriodEnd: vi.fn<BillingProvider['setCancelAtPeriodEnd']>().mockResolvedValue(undefined),
  };
}

/** The cache, its keys readable (`billing:entitlements:<userId>`), every operation a mock. */
export function makeCache() {
  return {
    key: vi.fn((module: string, ...parts: Array<string | number>) => [module, ...parts].join(':')),
    read: vi.fn<AppCache['read']>().mockResolvedValue({ status: 'miss' }),
    set: vi.fn<AppCache['set']>().mockResolvedValue(true),
    del: vi.fn<AppCache['del']>().mockResolvedValue(undefined),
    getOrSet: vi.fn<AppCache['getOrSet']>(),
  };
}

export function makeBillingConfig(billing: Partial<AppConfig['billing']> = {}): AppConfig {
  return { billing: { pastDueGracePeriodSeconds: 3 * 86_400, ...billing } } as unknown as AppConfig;
}

/** Billing on Stripe: an API key unless `secretKey` is undefined, no webhook secret unless given. */
export function makeStripeConfig(
  stripe: Partial<AppConfig['billing']['stripe']> = {},
  app: Partial<AppConfig['app']> = {},
): AppConfig {
  const config = makeBillingConfig({
    stripe: { secretKey: 'sk_test_unit', webhookSecret: undefined, apiBaseUrl: undefined, timeoutMs: 1000, ...stripe },
  });
  return { ...config, app: { frontendUrl: 'https://app.example.com', ...app } } as AppConfig;
}

/** The billing service as its dependents see it. */
export function makeBillingServiceMock() {
  return {
    findLiveSubscription: vi.fn<BillingService['findLiveSubscription']>(),
    subscriptionChanged: vi.fn<BillingService['subscriptionChanged']>().mockResolvedValue(undefined),
  };
}

/** Every collaborator of BillingService, each a mock. */
export function makeBillingCollaborators() {
  return {
    plans: makePlansRepository(),
    subscriptions: makeSubscriptionsRepository(),
    invoices: makeInvoicesRepository(),
    checkouts: makeCheckoutSessionsRepository(),
    customers: makeBillingCustomersRepository(),
    provider: makeBillingProvider(),
    cache: makeCache(),
    config: makeBillingConfig(),
  };
}

export type BillingCollaborators = ReturnType<typeof makeBillingCollaborators>;

/**
 * A real BillingService over mocked collaborators: `c.provider` is the provider in use, and local
 * subscriptions are kept by a real LocalBillingProvider over the same mocks.
 */
export function makeBillingService(c: BillingCollaborators = makeBillingCollaborators()): BillingService {
  const local = new LocalBillingProvider(
    c.checkouts as unknown as CheckoutSessionsRepository,
    c.subscriptions as unknown as SubscriptionsRepository,
    c.cache as unknown as AppCache,
    c.config,
  );
  return new BillingService(
    c.plans as unknown as PlansRepository,
    c.subscriptions as unknown as SubscriptionsRepository,
    c.invoices as unknown as InvoicesRepository,
    c.customers as unknown as BillingCustomersRepository,
    new BillingProviders(c.provider, [local]),
    c.cache as unknown as AppCache,
    c.config,
  );
}

/** The writes of one provider event's transaction, every method a mock. */
export function makeProviderEventWrites() {
  return {
    customerOwner: vi.fn<ProviderEventWrites['customerOwner']>().mockResolvedValue(null),
    findSubscription: vi.fn<ProviderEventWrites['findSubscription']>().mockResolvedValue(null),
    syncSubscription: vi.fn<ProviderEventWrites['syncSubscription']>(),
    markPastDue: vi.fn<ProviderEventWrites['markPastDue']>().mockResolvedValue(false),
    upsertInvoice: vi.fn<ProviderEventWrites['upsertInvoice']>().mockResolvedValue(undefined),
  };
}

/** `WebhookEventsRepository.processOnce` as the Stripe webhooks use it (their writes resolve the users changed). */
type ProcessOnce = (
  event: ProviderEvent,
  apply: (writes: ProviderEventWrites) => Promise<string[]>,
) => Promise<{ duplicate: true } | { duplicate: false; result: string[] }>;

/** Webhook events never seen before, applied through `writes` (as one transaction would). */
export function makeWebhookEventsRepository(writes: ReturnType<typeof makeProviderEventWrites>) {
  return {
    isRecorded: vi.fn<WebhookEventsRepository['isRecorded']>().mockResolvedValue(false),
    processOnce: vi.fn<ProcessOnce>(async (_event, apply) => ({
      duplicate: false,
      result: await apply(writes as unknown as ProviderEventWrites),
    })),
  };
}

export function makeStripeProvider() {
  return {
    configured: true,
    retrieveSubscription: vi.fn<StripeBillingProvider['retrieveSubscription']>(),
  };
}
