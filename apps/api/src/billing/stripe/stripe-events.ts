import { z } from 'zod';

/**
 * The parts of Stripe's webhook events this API reads, checked: a signed event is Stripe's, but
 * its shape depends on the API version of the webhook endpoint, and a field we need and do not
 * find must be a clear 400, never a TypeError. Unknown fields are ignored.
 */

/** `Stripe-Signature`: comma-separated `key=hex` elements (`t=<unix seconds>,v1=<hex>[,...]`). */
export const STRIPE_SIGNATURE = /^[A-Za-z0-9]+=[0-9A-Fa-f]+(,[A-Za-z0-9]+=[0-9A-Fa-f]+)*$/;
/** Longer headers are refused before any HMAC is computed (Stripe's are ~150 characters per secret). */
export const STRIPE_SIGNATURE_MAX_LENGTH = 1024;

const id = z.string().min(1).max(255);
/** A Stripe id that the event may carry expanded into its object. */
const expandable = z.union([id, z.object({ id })]).transform((value) => (typeof value === 'string' ? value : value.id));
/** Unix seconds. */
const timestamp = z
  .number()
  .int()
  .min(0)
  .max(253_402_300_799)
  .transform((seconds) => new Date(seconds * 1000));
const metadata = z.record(z.string(), z.string()).nullish();

export const stripeEventSchema = z.object({
  id,
  object: z.literal('event'),
  type: z.string().min(1).max(255),
  created: timestamp,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEventEnvelope = z.infer<typeof stripeEventSchema>;

export const stripeSubscriptionSchema = z.object({
  id,
  object: z.literal('subscription'),
  customer: expandable,
  status: z.string(),
  cancel_at_period_end: z.boolean(),
  canceled_at: timestamp.nullish(),
  ended_at: timestamp.nullish(),
  trial_end: timestamp.nullish(),
  metadata,
  // API versions before 2025-03-31 kept the current period on the subscription; later ones, on each item.
  current_period_start: timestamp.optional(),
  current_period_end: timestamp.optional(),
  items: z.object({
    data: z.array(
      z.object({
        id,
        price: z.object({ id }),
        current_period_start: timestamp.optional(),
        current_period_end: timestamp.optional(),
      }),
    ),
  }),
});
export type StripeSubscriptionPayload = z.infer<typeof stripeSubscriptionSchema>;

export const stripeCheckoutSessionSchema = z.object({
  id,
  object: z.literal('checkout.session'),
  mode: z.string(),
  client_reference_id: z.string().nullish(),
  metadata,
  customer: expandable.nullish(),
  subscription: z.union([id, stripeSubscriptionSchema]).nullish(),
});
export type StripeCheckoutSessionPayload = z.infer<typeof stripeCheckoutSessionSchema>;

const period = z.object({ start: timestamp, end: timestamp });

export const stripeInvoiceSchema = z.object({
  id,
  object: z.literal('invoice'),
  customer: expandable.nullish(),
  number: z.string().max(255).nullish(),
  amount_due: z.number().int().min(0).max(2_147_483_647),
  amount_paid: z.number().int().min(0).max(2_147_483_647),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/)
    .transform((value) => value.toLowerCase()),
  status: z.string().nullish(),
  hosted_invoice_url: z.string().max(2048).nullish(),
  period_start: timestamp,
  period_end: timestamp,
  // Where the subscription is named: `parent` since API 2025-03-31, `subscription` before.
  parent: z.object({ subscription_details: z.object({ subscription: expandable }).nullish() }).nullish(),
  subscription: expandable.nullish(),
  lines: z.object({ data: z.array(z.object({ period: period.optional() })) }).optional(),
});
export type StripeInvoicePayload = z.infer<typeof stripeInvoiceSchema>;
