import Stripe from 'stripe';
import { fakeId } from './fake-stripe.js';

type Json = Record<string, unknown>;

export const WEBHOOK_SECRET = 'whsec_test123';
export const WEBHOOK_PATH = '/v1/billing/webhooks/stripe';

/** Only for its webhook helpers: it never calls the API. */
const stripe = new Stripe('sk_test_x');

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** The `Stripe-Signature` header Stripe would send for this exact body. */
export function signature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp ?? unixNow(),
  });
}

/** A webhook event around `object`, as Stripe delivers it. */
export function stripeEvent(type: string, object: Json, options: { id?: string; created?: number } = {}): Json {
  return {
    id: options.id ?? fakeId('evt_'),
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: options.created ?? unixNow(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

export interface SubscriptionOptions {
  id: string;
  customer: string;
  priceId: string;
  status?: string;
  periodStart?: number;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  trialEnd?: number | null;
  canceledAt?: number | null;
  endedAt?: number | null;
  userId?: string;
}

/** A Subscription object of this API version: the current period is on its item. */
export function stripeSubscription(options: SubscriptionOptions): Json {
  const periodStart = options.periodStart ?? unixNow() - 60;
  const periodEnd = options.periodEnd ?? periodStart + 30 * 86_400;
  return {
    id: options.id,
    object: 'subscription',
    customer: options.customer,
    status: options.status ?? 'active',
    cancel_at_period_end: options.cancelAtPeriodEnd ?? false,
    cancel_at: null,
    canceled_at: options.canceledAt ?? null,
    ended_at: options.endedAt ?? null,
    trial_start: options.trialEnd ? periodStart : null,
    trial_end: options.trialEnd ?? null,
    created: periodStart,
    start_date: periodStart,
    billing_cycle_anchor: periodEnd,
    currency: 'usd',
    collection_method: 'charge_automatically',
    latest_invoice: null,
    livemode: false,
    metadata: options.userId ? { userId: options.userId } : {},
    items: {
      object: 'list',
      data: [
        {
          id: `si_${options.id.replace(/^sub_/, '')}`,
          object: 'subscription_item',
          subscription: options.id,
          quantity: 1,
          created: periodStart,
          current_period_start: periodStart,
          current_period_end: periodEnd,
          price: { id: options.priceId, object: 'price', currency: 'usd', type: 'recurring' },
          metadata: {},
        },
      ],
      has_more: false,
      url: `/v1/subscription_items?subscription=${options.id}`,
    },
  };
}

export interface InvoiceOptions {
  id?: string;
  customer: string;
  subscription: string;
  status: 'paid' | 'open';
  amountDue?: number;
  amountPaid?: number;
  number?: string;
  periodStart?: number;
  periodEnd?: number;
}

/** An Invoice object of this API version: its subscription is named under `parent`. */
export function stripeInvoice(options: InvoiceOptions): Json {
  const id = options.id ?? fakeId('in_');
  const periodStart = options.periodStart ?? unixNow() - 60;
  const periodEnd = options.periodEnd ?? periodStart + 30 * 86_400;
  const amountDue = options.amountDue ?? 1900;
  return {
    id,
    object: 'invoice',
    customer: options.customer,
    number: options.number ?? `ABCD-${Math.floor(Math.random() * 10_000)}`,
    status: options.status,
    amount_due: amountDue,
    amount_paid: options.amountPaid ?? (options.status === 'paid' ? amountDue : 0),
    amount_remaining: options.status === 'paid' ? 0 : amountDue,
    currency: 'usd',
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${id}`,
    created: periodStart,
    period_start: periodStart,
    period_end: periodStart,
    livemode: false,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: options.subscription, metadata: {} },
    },
    lines: {
      object: 'list',
      data: [
        {
          id: fakeId('il_'),
          object: 'line_item',
          amount: amountDue,
          currency: 'usd',
          period: { start: periodStart, end: periodEnd },
        },
      ],
      has_more: false,
    },
  };
}

export function stripeCheckoutSession(options: {
  customer: string;
  subscription: string | Json | null;
  userId: string | null;
}): Json {
  const id = fakeId('cs_test_');
  return {
    id,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    customer: options.customer,
    client_reference_id: options.userId,
    metadata: options.userId ? { userId: options.userId } : {},
    subscription: options.subscription,
    url: null,
    created: unixNow(),
    expires_at: unixNow() + 86_400,
    livemode: false,
  };
}
