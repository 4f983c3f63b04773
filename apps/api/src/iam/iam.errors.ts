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
