import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { z } from 'zod';
import { AppConfig } from '@app/config';
import type { InvoiceStatus, SubscriptionStatus } from '@app/database';
import {
  StripeWebhooksDisabledError,
  WebhookPayloadInvalidError,
  WebhookSignatureInvalidError,
} from '../billing.errors.js';
import { BillingService } from '../subscriptions/billing.service.js';
import { PlansRepository } from '../subscriptions/plans.repository.js';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import { StripeBillingProvider } from './stripe-billing.provider.js';
import { loadStripeSdk } from './stripe-sdk.js';
import {
  stripeCheckoutSessionSchema,
  STRIPE_SIGNATURE,
  STRIPE_SIGNATURE_MAX_LENGTH,
  stripeEventSchema,
  stripeInvoiceSchema,
  stripeSubscriptionSchema,
  type StripeEventEnvelope,
  type StripeInvoicePayload,
  type StripeSubscriptionPayload,
} from './stripe-events.js';
import {
  WebhookEventsRepository,
  type ProviderEventWrites,
  type ProviderInvoiceState,
  type ProviderSubscriptionState,
} from './webhook-events.repository.js';

const PROVIDER = 'stripe';
/** How old a signature may be: older deliveries are refused as replays. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
]);
const INVOICE_EVENTS = new Set(['invoice.paid', 'invoice.payment_failed']);
const CHECKOUT_COMPLETED = 'checkout.session.completed';

export interface WebhookAck {
  received: true;
  duplicate?: true;
}

/** A subscription state read from an event, before we know whose it is. */
interface SubscriptionSnapshot {
  state: Omit<ProviderSubscriptionState, 'userId'>;
  customerId: string;
  /** The user our checkout named in the subscription's metadata. */
  userHint: string | undefined;
  replaceSameTime: boolean;
}

/** An invoice as the event describes it: the stored fields, and what links it to its owner. */
interface InvoiceSnapshot extends Omit<ProviderInvoiceState, 'userId' | 'subscriptionId'> {
  customerId: string | undefined;
  providerSubscriptionId: string | undefined;
  paymentFailed: boolean;
}

/** Everything an event changes, read and fetched before its transaction opens. */
type EventChanges =
  | { kind: 'subscription'; subscription: SubscriptionSnapshot }
  | {
      kind: 'checkout';
      userHint: string | undefined;
      customerId: string | undefined;
      subscription: SubscriptionSnapshot | undefined;
    }
  | { kind: 'invoice'; invoice: InvoiceSnapshot };

/** Stripe's subscription statuses in ours. */
function subscriptionStatusOf(status: string): SubscriptionStatus {
  switch (status) {
    case 'trialing':
      return 'TRIALING';
    case 'active':
      return 'ACTIVE';
    case 'past_due':
    case 'unpaid':
      return 'PAST_DUE';
    case 'canceled':
    case 'incomplete_expired':
      return 'CANCELED';
    default:
      // incomplete, paused, and any status a later API version adds: live, but grants nothing.
      return 'INCOMPLETE';
  }
}

function invoiceStatusOf(status: string | null | undefined, paymentFailed: boolean): InvoiceStatus {
  switch (status) {
    case 'draft':
      return 'DRAFT';
    case 'open':
      return 'OPEN';
    case 'paid':
      return 'PAID';
    case 'void':
      return 'VOID';
    case 'uncollectible':
      return 'UNCOLLECTIBLE';
    default:
      return paymentFailed ? 'OPEN' : 'PAID';
  }
}

function userIdIn(value: string | null | undefined): string | undefined {
  return value && UUID.test(value) ? value.toLowerCase() : undefined;
}

/**
 * Applies Stripe's webhook events to local state. Each event is verified (signature and age),
 * applied once (its id is recorded in the same transaction as its changes), and in any order: a
 * subscription keeps the state of the newest event that described it.
 */
@Injectable()
export class StripeWebhooksService implements OnModuleInit {
  private readonly logger = new Logger(StripeWebhooksService.name);

  constructor(
    private readonly events: WebhookEventsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly plans: PlansRepository,
    private readonly stripe: StripeBillingProvider,
    private readonly billing: BillingService,
    private readonly config: AppConfig,
  ) {}

  /** With a webhook secret, the Stripe SDK (which verifies signatures) loads at boot, not on the first delivery. */
  async onModuleInit(): Promise<void> {
    if (this.config.billing.stripe.webhookSecret) await loadStripeSdk();
  }

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookAck> {
    const secret = this.config.billing.stripe.webhookSecret;
    if (!secret) throw new StripeWebhooksDisabledError();
    const event = await this.verify(rawBody, signature, secret);
    if (!this.handles(event.type)) {
      this.logger.debug({ eventId: event.id, type: event.type }, 'Stripe event ignored');
      return { received: true };
    }
    if (await this.events.isRecorded(event.id)) return { received: true, duplicate: true };

    const changes = await this.read(event);
    const outcome = await this.events.processOnce(
      { id: event.id, provider: PROVIDER, type: event.type, createdAt: event.created },
      (writes) => this.apply(writes, changes, event),
    );
    if (outcome.duplicate) return { received: true, duplicate: true };
    for (const userId of new Set(outcome.result)) await this.billing.subscriptionChanged(userId);
    return { received: true };
  }

  // --- verification ----------------------------------------------------------------------

  private async verify(
    rawBody: Buffer | undefined,
    signature: string | undefined,
    secret: string,
  ): Promise<StripeEventEnvelope> {
    // The SDK throws untyped errors on some malformed headers (`v1=`): only well-formed ones reach it.
    if (!rawBody || !signature || signature.length > STRIPE_SIGNATURE_MAX_LENGTH || !STRIPE_SIGNATURE.test(signature)) {
      throw new WebhookSignatureInvalidError();
    }
    const Stripe = await loadStripeSdk();
    let payload: unknown;
    try {
      payload = Stripe.webhooks.constructEvent(rawBody, signature, secret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookSignatureInvalidError();
      // With a well-formed header, anything else comes after the signature matched: a body that
      // is not JSON (SyntaxError, whose message quotes the body: only its name is logged), or a
      // thin v2 event notification.
      this.logger.warn(
        { error: error instanceof Error ? error.name : typeof error },
        'A correctly signed Stripe webhook could not be read',
      );
      throw new WebhookPayloadInvalidError();
    }
    const event = stripeEventSchema.safeParse(payload);
    if (!event.success) throw new WebhookPayloadInvalidError();
    return event.data;
  }

  private handles(type: string): boolean {
    return type === CHECKOUT_COMPLETED || SUBSCRIPTION_EVENTS.has(type) || INVOICE_EVENTS.has(type);
  }

  // --- reading an event (outside the transaction: plans and Stripe API calls) -------------

  private async read(event: StripeEventEnvelope): Promise<EventChanges> {
    const object = event.data.object;
    if (SUBSCRIPTION_EVENTS.has(event.type)) {
      const subscription = this.parse(stripeSubscriptionSchema, object);
      return {
        kind: 'subscription',
        subscription: await this.snapshot(subscription, event, {
          deleted: event.type === 'customer.subscription.deleted',
          // The first state of a subscription: any other event of the same second is at least as new.
          replaceSameTime: event.type !== 'customer.subscription.created',
        }),
      };
    }
    if (INVOICE_EVENTS.has(event.type)) {
      return {
        kind: 'invoice',
        invoice: this.invoiceSnapshot(this.parse(stripeInvoiceSchema, object), event.type === 'invoice.payment_failed'),
      };
    }
    return this.readCheckout(event);
  }

  /**
   * A completed checkout names the user (our client_reference_id) and their customer. The
   * subscription comes with its own events; it is fetched only when it is still unknown here
   * and the event does not carry it expanded.
   */
  private async readCheckout(event: StripeEventEnvelope): Promise<EventChanges> {
    const session = this.parse(stripeCheckoutSessionSchema, event.data.object);
    const userHint = userIdIn(session.client_reference_id) ?? userIdIn(session.metadata?.userId);
    const customerId = session.customer ?? undefined;
    let subscription: StripeSubscriptionPayload | undefined;
    if (session.mode === 'subscription' && session.subscription) {
      if (typeof session.subscription !== 'string') {
        subscription = session.subscription;
      } else if (
        this.stripe.configured &&
        !(await this.subscriptions.existsAtProvider(PROVIDER, session.subscription))
      ) {
        // A failure here (503) makes Stripe deliver the event again later.
        subscription = this.parse(
          stripeSubscriptionSchema,
          await this.stripe.retrieveSubscription(session.subscription),
        );
      }
    }
    return {
      kind: 'checkout',
      userHint,
      customerId,
      subscription:
        subscription && (await this.snapshot(subscription, event, { deleted: false, replaceSameTime: true })),
    };
  }

  private async snapshot(
    subscription: StripeSubscriptionPayload,
    event: StripeEventEnvelope,
    options: { deleted: boolean; replaceSameTime: boolean },
  ): Promise<SubscriptionSnapshot> {
    const [item] = subscription.items.data;
    const currentPeriodStart = item?.current_period_start ?? subscription.current_period_start;
    const currentPeriodEnd = item?.current_period_end ?? subscription.current_period_end;
    if (!currentPeriodStart || !currentPeriodEnd) throw new WebhookPayloadInvalidError();
    const plan = item ? await this.plans.findByProviderPriceId(item.price.id) : null;
    const status = options.deleted ? 'CANCELED' : subscriptionStatusOf(subscription.status);
    return {
      customerId: subscription.customer,
      userHint: userIdIn(subscription.metadata?.userId),
      replaceSameTime: options.replaceSameTime,
      state: {
        planId: plan?.id ?? null,
        providerSubscriptionId: subscription.id,
        status,
        currentPeriodStart,
        currentPeriodEnd,
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
        canceledAt: status === 'CANCELED' ? (subscription.ended_at ?? subscription.canceled_at ?? event.created) : null,
        trialEndsAt: subscription.trial_end ?? null,
        providerUpdatedAt: event.created,
      },
    };
  }

  private invoiceSnapshot(invoice: StripeInvoicePayload, paymentFailed: boolean): InvoiceSnapshot {
    // The service period is on the subscription's line; the invoice's own period is when items were added.
    const period = invoice.lines?.data[0]?.period ?? { start: invoice.period_start, end: invoice.period_end };
    return {
      providerInvoiceId: invoice.id,
      customerId: invoice.customer ?? undefined,
      providerSubscriptionId: invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? undefined,
      number: invoice.number ?? invoice.id,
      amountCents: paymentFailed ? invoice.amount_due : invoice.amount_paid,
      currency: invoice.currency,
      status: invoiceStatusOf(invoice.status, paymentFailed),
      hostedUrl: invoice.hosted_invoice_url ?? null,
      periodStart: period.start,
      periodEnd: period.end,
      paymentFailed,
    };
  }

  private parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new WebhookPayloadInvalidError();
    return parsed.data;
  }

  // --- applying (inside the event's transaction) ------------------------------------------

  /** Applies the changes; resolves the users whose subscription changed. */
  private async apply(
    writes: ProviderEventWrites,
    changes: EventChanges,
    event: StripeEventEnvelope,
  ): Promise<string[]> {
    const context = { eventId: event.id, type: event.type };
    switch (changes.kind) {
      case 'subscription':
        return this.applySubscription(writes, changes.subscription, context);
      case 'checkout': {
        const owner = await this.ownerOf(writes, changes.customerId, changes.userHint, context);
        if (!owner || !changes.subscription) return [];
        if (changes.subscription.customerId !== changes.customerId) {
          this.logger.warn(context, 'Stripe checkout whose subscription is of another customer: not applied');
          return [];
        }
        return this.applySubscription(writes, changes.subscription, context);
      }
      case 'invoice':
        return this.applyInvoice(writes, changes.invoice, event.created, context);
    }
  }

  private async applySubscription(
    writes: ProviderEventWrites,
    snapshot: SubscriptionSnapshot,
    context: Record<string, string>,
  ): Promise<string[]> {
    const userId = await this.ownerOf(writes, snapshot.customerId, snapshot.userHint, context);
    if (!userId) return [];
    const result = await writes.syncSubscription(
      { ...snapshot.state, userId },
      { replaceSameTime: snapshot.replaceSameTime, canceledIsFinal: true },
    );
    const details = { ...context, subscriptionId: snapshot.state.providerSubscriptionId, userId, result };
    switch (result) {
      case 'created':
      case 'updated':
        return [userId];
      case 'stale':
        this.logger.debug(details, 'Stripe subscription event older than the stored state: not applied');
        return [];
      case 'foreign':
        this.logger.warn(details, "Stripe subscription event for another user's subscription: not applied");
        return [];
      case 'no_plan':
        this.logger.warn(details, 'Stripe subscription of a price that is no plan here: not stored');
        return [];
    }
  }

  private async applyInvoice(
    writes: ProviderEventWrites,
    invoice: InvoiceSnapshot,
    at: Date,
    context: Record<string, string>,
  ): Promise<string[]> {
    const subscription = invoice.providerSubscriptionId
      ? await writes.findSubscription(invoice.providerSubscriptionId)
      : null;
    // Whose invoice it is comes from its customer only; a subscription it names must be theirs too.
    const userId = invoice.customerId ? await writes.customerOwner(invoice.customerId) : null;
    if (!userId || (subscription && subscription.userId !== userId)) {
      this.logger.warn(
        { ...context, invoiceId: invoice.providerInvoiceId },
        'Stripe invoice of no user here (or of two): not stored',
      );
      return [];
    }
    const { paymentFailed, customerId: _customer, providerSubscriptionId, ...fields } = invoice;
    // Paid and void are final: a late payment_failed never reopens a paid invoice.
    await writes.upsertInvoice({ ...fields, userId, subscriptionId: subscription?.id ?? null }, ['PAID', 'VOID']);
    if (paymentFailed && providerSubscriptionId && (await writes.markPastDue(userId, providerSubscriptionId, at)))
      return [userId];
    return [];
  }

  /**
   * Whose customer (and so subscription) this is: the user linked to the customer, which our
   * checkout links before Stripe ever sees it. The user id an event carries (client_reference_id,
   * metadata) is only checked against that link, never trusted alone: anyone able to start a
   * checkout in the Stripe account (a Payment Link, a pricing table) chooses it.
   */
  private async ownerOf(
    writes: ProviderEventWrites,
    customerId: string | undefined,
    userHint: string | undefined,
    context: Record<string, string>,
  ): Promise<string | null> {
    const owner = customerId ? await writes.customerOwner(customerId) : null;
    if (!owner) {
      this.logger.warn({ ...context, customerId }, 'Stripe event of a customer unknown here: not applied');
      return null;
    }
    if (userHint && userHint !== owner) {
      this.logger.warn({ ...context, customerId }, 'Stripe event names another user than the customer’s: not applied');
      return null;
    }
    return owner;
  }
}
