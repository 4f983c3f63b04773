import { DomainError } from '@app/common';

/**
 * Too many failed sign-ins for this account from this client (or from all untrusted clients). The
 * same answer whether or not the account exists.
 */
export class LoginLockedOutError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'LOGIN_LOCKED_OUT', 'Too many failed sign-ins. Retry later.', { retryAfterSeconds });
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
