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

export class InsufficientPermissionsError extends DomainError {
  constructor() {
    super('forbidden', 'INSUFFICIENT_PERMISSIONS', 'You are not allowed to do this.');
  }
}
