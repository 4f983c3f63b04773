import { DomainError } from '@app/common';

export class InvalidRefreshTokenError extends DomainError {
  constructor() {
    super(
      'unauthenticated',
      'INVALID_REFRESH_TOKEN',
      'The refresh token is invalid, expired or revoked. Sign in again.',
    );
  }
}

/** An already-rotated refresh token was presented: the session is revoked as stolen. */
export class RefreshTokenReusedError extends DomainError {
  constructor() {
    super(
      'unauthenticated',
      'REFRESH_TOKEN_REUSED',
      'This refresh token was already used. The session has been revoked for safety; sign in again.',
    );
  }
}

export class SessionNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'SESSION_NOT_FOUND', 'No such session.');
  }
}
