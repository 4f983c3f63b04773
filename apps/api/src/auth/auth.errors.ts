import { DomainError } from '@app/common';

/** The same answer for an unknown email and a wrong password. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('unauthenticated', 'INVALID_CREDENTIALS', 'The email or password is incorrect.');
  }
}

export class AccountDisabledError extends DomainError {
  constructor() {
    super('forbidden', 'ACCOUNT_DISABLED', 'This account is disabled.');
  }
}

/**
 * Too many failed sign-ins for this account from this client (or from all untrusted clients). The
 * same answer whether or not the account exists.
 */
export class LoginLockedOutError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'LOGIN_LOCKED_OUT', 'Too many failed sign-ins. Retry later.', { retryAfterSeconds });
  }
}
