import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type Stripe from 'stripe';
import { AppConfig } from '@app/config';
import type { Plan } from '@app/database';
import {
  BillingProviderRejectedError,
  BillingProviderUnavailableError,
  NoSubscriptionError,
  PlanNotPurchasableError,
} from '../billing.errors.js';
import { BillingCustomersRepository } from '../subscriptions/billing-customers.repository.js';
import { BillingProvider, type CheckoutInput, type PlanChangeTerms } from '../subscriptions/billing-provider.js';
import type { SubscriptionWithPlan } from '../subscriptions/subscriptions.repository.js';
import { loadStripeSdk } from './stripe-sdk.js';

const PROVIDER = 'stripe';

/** Builds the one Stripe client of the app; `apiBaseUrl` points it at another host (stripe-mock, tests). */
function createStripeClient(
  StripeSdk: typeof Stripe,
  stripe: AppConfig['billing']['stripe'] & { secretKey: string },
): Stripe {
  const config: Stripe.StripeConfig = {
    // The API version this SDK release is pinned to: the objects it returns match its types.
    apiVersion: StripeSdk.API_VERSION,
    timeout: stripe.timeoutMs,
    maxNetworkRetries: 2,
  };
  if (stripe.apiBaseUrl) {
    const url = new URL(stripe.apiBaseUrl);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    config.protocol = protocol;
    config.host = url.hostname;
    config.port = url.port || (protocol === 'http' ? 80 : 443);
  }
  return new StripeSdk(stripe.secretKey, config);
}

/** Stripe keys may appear in an error message (masked, but still): never let one reach the logs. */
function redactKeys(text: string): string {
  return text.replace(/\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+/g, '$1_$2_[redacted]');
}

/**
 * Stripe Checkout, the Stripe customer portal, and subscription changes through the Stripe API.
 * Local state follows from Stripe's webhooks (StripeWebhooksService); every mutating call carries
 * an idempotency key, so a retried request never does the same thing twice at Stripe. The SDK is
 * loaded only when a key is set (at boot, see `onModuleInit`).
 */
@Injectable()
export class StripeBillingProvider extends BillingProvider implements OnModuleInit {
  readonly name = 'stripe' as const;
  readonly recordsHere = false;
  private readonly logger = new Logger(StripeBillingProvider.name);
  /**
   * Built once the SDK is loaded; never without STRIPE_SECRET_KEY (the local provider is then in
   * use; webhooks need no key).
   */
  private client: Stripe | undefined;

  constructor(
    private readonly customers: BillingCustomersRepository,
    private readonly config: AppConfig,
  ) {
    super();
  }

  /** True when an API key is configured, so the Stripe API can be called. */
  get configured(): boolean {
    return Boolean(this.config.billing.stripe.secretKey);
  }

  /** With a key, the SDK loads and the client is built at boot, not on the first request. */
  async onModuleInit(): Promise<void> {
    if (this.configured) await this.stripeClient();
  }

  async startCheckout(input: CheckoutInput): Promise<{ url: string }> {
    const { user, plan } = input;
    const price = this.priceOf(plan);
    const customer = await this.customerFor(user);
    const frontendUrl = this.config.app.frontendUrl;
    const session = await this.call('checkout.sessions.create', (stripe) =>
      stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer,
          client_reference_id: user.id,
          metadata: { userId: user.id },
          line_items: [{ price, quantity: 1 }],
          subscription_data: {
            // Subscription events then name the user even before checkout.session.completed arrives.
            metadata: { userId: user.id },
            ...(input.trialDays > 0 ? { trial_period_days: input.trialDays } : {}),
          },
          success_url: `${frontendUrl}/billing/success`,
          cancel_url: `${frontendUrl}/billing/cancel`,
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    if (!session.url) {
      this.logger.error({ checkoutSessionId: session.id }, 'Stripe returned a checkout session without a URL');
      throw new BillingProviderUnavailableError();
    }
    return { url: session.url };
  }

  async portalUrl(user: { id: string }): Promise<{ url: string }> {
    const customer = await this.customers.findCustomerId(user.id, PROVIDER);
    if (!customer) throw new NoSubscriptionError();
    const session = await this.call('billingPortal.sessions.create', (stripe) =>
      stripe.billingPortal.sessions.create(
        { customer, return_url: `${this.config.app.frontendUrl}/billing` },
        // Each call opens a new portal session; the key only makes the SDK's own retries safe.
        { idempotencyKey: `portal-session:${user.id}:${randomUUID()}` },
      ),
    );
    return { url: session.url };
  }

  /**
   * Prorated and invoiced at once (`always_invoice`): the user pays the difference now, or Stripe
   * credits it to the customer's balance; `trial_end` ends or shortens a running trial.
   */
  async changePlan(
    subscription: SubscriptionWithPlan,
    plan: Plan,
    idempotencyKey: string,
    terms: PlanChangeTerms,
  ): Promise<void> {
    const id = this.stripeSubscriptionId(subscription);
    if (!id) return;
    const price = this.priceOf(plan);
    const current = await this.call('subscriptions.retrieve', (stripe) => stripe.subscriptions.retrieve(id));
    const items = current.items.data;
    if (items.length !== 1 || !items[0]) {
      this.logger.error(
        { subscriptionId: id, items: items.length },
        'A Stripe subscription of this API has exactly one item',
      );
      throw new BillingProviderRejectedError();
    }
    const item = items[0];
    await this.call('subscriptions.update', (stripe) =>
      stripe.subscriptions.update(
        id,
        {
          items: [{ id: item.id, price }],
          proration_behavior: 'always_invoice',
          ...(terms.trialEnd
            ? { trial_end: terms.trialEnd === 'now' ? 'now' : Math.floor(terms.trialEnd.getTime() / 1000) }
            : {}),
        },
        { idempotencyKey },
      ),
    );
  }

  async setCancelAtPeriodEnd(
    subscription: SubscriptionWithPlan,
    cancel: boolean,
    idempotencyKey: string,
  ): Promise<void> {
    const id = this.stripeSubscriptionId(subscription);
    if (!id) return;
    await this.call('subscriptions.update', (stripe) =>
      stripe.subscriptions.update(id, { cancel_at_period_end: cancel }, { idempotencyKey }),
    );
  }

  /** The subscription as Stripe has it now (webhooks whose event does not carry it). */
  retrieveSubscription(id: string): Promise<Stripe.Subscription> {
    return this.call('subscriptions.retrieve', (stripe) => stripe.subscriptions.retrieve(id));
  }

  // --- internals -------------------------------------------------------------------------

  /** The user's Stripe customer, created once (the idempotency key makes a retried creation return the same one). */
  private async customerFor(user: CheckoutInput['user']): Promise<string> {
    const existing = await this.customers.findCustomerId(user.id, PROVIDER);
    if (existing) return existing;
    const customer = await this.call('customers.create', (stripe) =>
      stripe.customers.create(
        { email: user.email, name: user.name, metadata: { userId: user.id } },
        { idempotencyKey: `customer:${user.id}` },
      ),
    );
    return this.customers.link(user.id, PROVIDER, customer.id);
  }

  private priceOf(plan: Plan): string {
    if (!plan.providerPriceId) throw new PlanNotPurchasableError();
    return plan.providerPriceId;
  }

  /** Subscriptions started on the local provider (before Stripe was configured) have nothing at Stripe. */
  private stripeSubscriptionId(subscription: SubscriptionWithPlan): string | null {
    return subscription.provider === PROVIDER ? subscription.providerSubscriptionId : null;
  }

  /**
   * One Stripe API call. Its failures become domain errors, told apart by class: Stripe down, slow,
   * failing or refusing our credentials is "unavailable" (503, retry later); Stripe refusing the
   * request itself is "rejected" (422). Logged with Stripe's request id, never with the key.
   */
  private async call<T>(operation: string, request: (stripe: Stripe) => Promise<T>): Promise<T> {
    const client = await this.stripeClient();
    if (!client) {
      this.logger.error({ operation }, 'STRIPE_SECRET_KEY is not set: the Stripe API cannot be called');
      throw new BillingProviderUnavailableError();
    }
    try {
      return await request(client);
    } catch (error) {
      const { errors } = await loadStripeSdk();
      if (!(error instanceof errors.StripeError)) throw error;
      const context = {
        operation,
        stripeRequestId: error.requestId,
        stripeErrorType: error.type,
        stripeErrorCode: error.code,
        statusCode: error.statusCode,
        message: redactKeys(error.message),
      };
      if (this.isUnavailable(error, errors)) {
        this.logger.error(context, 'Stripe API unavailable');
        throw new BillingProviderUnavailableError();
      }
      this.logger.warn(context, 'Stripe API rejected a request');
      throw new BillingProviderRejectedError();
    }
  }

  /** The client of STRIPE_SECRET_KEY (none without it), built on first use: the SDK loads then. */
  private async stripeClient(): Promise<Stripe | undefined> {
    const { secretKey } = this.config.billing.stripe;
    if (!secretKey) return undefined;
    if (!this.client) {
      const StripeSdk = await loadStripeSdk();
      this.client ??= createStripeClient(StripeSdk, { ...this.config.billing.stripe, secretKey });
    }
    return this.client;
  }

  private isUnavailable(error: Stripe.errors.StripeError, errors: typeof Stripe.errors): boolean {
    return (
      error instanceof errors.StripeConnectionError ||
      error instanceof errors.StripeAPIError ||
      error instanceof errors.StripeRateLimitError ||
      // Our key is wrong or lacks a permission: nothing the user can change.
      error instanceof errors.StripeAuthenticationError ||
      error instanceof errors.StripePermissionError ||
      error.statusCode === undefined ||
      error.statusCode >= 500
    );
  }
}
