import { DomainError } from '@app/common';

/** The key was first used for another request (other body, other route): 422, as the draft says. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'unprocessable',
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different request; send a new key with a new request.',
    );
  }
}

/** The first request with this key has not finished yet: 409, retry shortly. */
export class IdempotencyKeyInProgressError extends DomainError {
  constructor() {
    super(
      'conflict',
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      {
        retryAfterSeconds: 1,
      },
    );
  }
}
