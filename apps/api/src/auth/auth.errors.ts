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
