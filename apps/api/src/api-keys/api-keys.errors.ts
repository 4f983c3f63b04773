import { DomainError, NotFoundError } from '@app/common';

export class ApiKeyNotFoundError extends NotFoundError {
  constructor() {
    super('API_KEY_NOT_FOUND', 'No such API key.');
  }
}

/** The caller already holds `API_KEY_MAX_PER_USER` active keys. */
export class ApiKeyLimitReachedError extends DomainError {
  constructor(max: number) {
    super('conflict', 'API_KEY_LIMIT_REACHED', `At most ${max} active API keys: revoke one first.`);
  }
}

/** A scope the caller's role does not hold: a key never does more than its owner. */
export class ApiKeyScopeNotHeldError extends DomainError {
  constructor(scopes: string[]) {
    super('validation', 'API_KEY_SCOPE_NOT_HELD', `Your role does not hold: ${scopes.join(', ')}.`, {
      errors: [{ field: 'scopes', message: `scopes must be held by your role (${scopes.join(', ')} are not)` }],
    });
  }
}
