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

/** Unknown, malformed, expired or revoked API key, or its owner is disabled or deleted. */
export class InvalidApiKeyError extends DomainError {
  constructor() {
    super('unauthenticated', 'INVALID_API_KEY', 'A valid API key is required.');
  }
}

/** The route accepts no API key: credentials, sessions, key management and every write. */
export class ApiKeyNotAcceptedError extends DomainError {
  constructor() {
    super('forbidden', 'API_KEY_NOT_ACCEPTED', 'This route does not accept API keys; use an access token.');
  }
}

/** The route accepts keys with a scope this key was not given, or its owner no longer holds. */
export class ApiKeyScopeMissingError extends DomainError {
  constructor(scope: string) {
    super('forbidden', 'API_KEY_SCOPE_MISSING', `This API key lacks the ${scope} scope.`);
  }
}
