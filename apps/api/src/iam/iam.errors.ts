import { DomainError } from '@app/common';

export class InvalidAccessTokenError extends DomainError {
  constructor() {
    super('unauthenticated', 'INVALID_ACCESS_TOKEN', 'A valid access token is required.');
  }
}

export class InsufficientPermissionsError extends DomainError {
  constructor() {
    super('forbidden', 'INSUFFICIENT_PERMISSIONS', 'You are not allowed to do this.');
  }
}

/**
 * Too many wrong current passwords given to sensitive changes of this account (email, password,
 * deletion): guessing with a stolen access token stops here.
 */
export class ReauthenticationLockedOutError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'REAUTHENTICATION_LOCKED_OUT', 'Too many wrong passwords. Retry later.', {
      retryAfterSeconds,
    });
  }
}
