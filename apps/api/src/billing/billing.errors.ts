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
