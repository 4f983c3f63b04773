import type Stripe from 'stripe';

let sdk: Promise<typeof Stripe> | undefined;

/**
 * The Stripe SDK, imported on first use: a process configured for neither the Stripe API
 * (`STRIPE_SECRET_KEY`) nor its webhooks (`STRIPE_WEBHOOK_SECRET`) never loads it.
 */
export function loadStripeSdk(): Promise<typeof Stripe> {
  sdk ??= import('stripe').then((module) => module.default);
  return sdk;
}
