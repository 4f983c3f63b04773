import { DomainError } from '@app/common';

export class PlanNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'PLAN_NOT_FOUND', 'No such plan.');
  }
}

export class PlanNotPurchasableError extends DomainError {
  constructor() {
    super('unprocessable', 'PLAN_NOT_PURCHASABLE', 'This plan is free or no longer offered; it cannot be bought.');
  }
}

export class AlreadySubscribedError extends DomainError {
  constructor() {
    super('conflict', 'ALREADY_SUBSCRIBED', 'You already have a subscription; change its plan instead.');
  }
}

/** Proration cannot cross currencies (Stripe refuses it too): the target plan must bill in the current one. */
export class PlanCurrencyMismatchError extends DomainError {
  constructor() {
    super('unprocessable', 'PLAN_CURRENCY_MISMATCH', 'This plan is billed in another currency than your subscription.');
  }
}

/** A concurrent request changed the subscription between reading and writing it. */
export class SubscriptionChangedError extends DomainError {
  constructor() {
    super('conflict', 'SUBSCRIPTION_CHANGED', 'Your subscription changed meanwhile; reload it and try again.');
  }
}

export class NoSubscriptionError extends DomainError {
  constructor() {
    super('not_found', 'NO_SUBSCRIPTION', 'You have no active subscription.');
  }
}

export class CheckoutLinkInvalidError extends DomainError {
  constructor() {
    super('not_found', 'CHECKOUT_LINK_INVALID', 'This checkout link is invalid, expired or already used.');
  }
}

export class EntitlementRequiredError extends DomainError {
  constructor(feature: string) {
    super('forbidden', 'ENTITLEMENT_REQUIRED', `Your plan does not include ${feature}.`);
  }
}

export class LimitExceededError extends DomainError {
  constructor(name: string, limit: number) {
    super('forbidden', 'PLAN_LIMIT_REACHED', `Your plan allows at most ${limit} for ${name}.`);
  }
}

/** The billing provider could not be reached, timed out, failed, or refused our credentials: retry later. */
export class BillingProviderUnavailableError extends DomainError {
  constructor() {
    super('unavailable', 'BILLING_PROVIDER_UNAVAILABLE', 'The payment provider is unavailable; try again later.');
  }
}

/** The billing provider refused the request itself (invalid request, declined card). */
export class BillingProviderRejectedError extends DomainError {
  constructor() {
    super('unprocessable', 'BILLING_PROVIDER_REJECTED', 'The payment provider refused this request.');
  }
}

export class StripeWebhooksDisabledError extends DomainError {
  constructor() {
    super('not_found', 'STRIPE_WEBHOOKS_DISABLED', 'Stripe webhooks are not enabled on this server.');
  }
}

/** Missing, malformed, wrong or stale `Stripe-Signature`, or a body that is not the signed one. */
export class WebhookSignatureInvalidError extends DomainError {
  constructor() {
    super('validation', 'WEBHOOK_SIGNATURE_INVALID', 'The webhook signature is missing, invalid or too old.');
  }
}

/** Correctly signed, but not a Stripe event this API can read. */
export class WebhookPayloadInvalidError extends DomainError {
  constructor() {
    super('validation', 'WEBHOOK_PAYLOAD_INVALID', 'The webhook payload is not a readable Stripe event.');
  }
}
