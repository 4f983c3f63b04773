/**
 * The closed set of error kinds a service may raise. Each kind maps to exactly one HTTP status
 * in {@link statusForKind}; features add new error *codes*, never new kinds, so the mapping stays
 * exhaustive and libs never need to know about features.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** A field-level problem, as listed in a validation error's `errors` array. */
export interface FieldError {
  /** Dotted path of the offending field (`address.city`, `items.0.qty`); empty for the whole body. */
  field: string;
  message: string;
}

/**
 * Base class of every error a service throws on purpose. `code` is stable and machine-readable
 * (`USER_EMAIL_TAKEN`): clients branch on it, so never rename one that has shipped.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly extensions: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input failed validation; `errors` lists every offending field. */
export class ValidationFailedError extends DomainError {
  constructor(errors: FieldError[], message = 'The request is invalid.') {
    super('validation', 'VALIDATION_FAILED', message, { errors });
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super('not_found', code, message);
  }
}

/** HTTP status for each kind; the `never` check makes the switch fail to compile when a kind is added. */
export function statusForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'validation':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'unprocessable':
      return 422;
    case 'rate_limited':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
    default: {
      const unreachable: never = kind;
      throw new Error(`Unhandled error kind: ${String(unreachable)}`);
    }
  }
}
