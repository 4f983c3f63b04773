import { HttpException } from '@nestjs/common';
import { DomainError, statusForKind } from './domain-error.js';
import type { FieldError } from './domain-error.js';
import {
  codeForStatus,
  PROBLEM_LIMITS,
  problemTypeForCode,
  titleForStatus,
  type ProblemDetails,
} from './problem-details.js';

export interface ProblemResponse {
  status: number;
  body: ProblemDetails;
  headers: Record<string, string>;
  /** True for server-side failures: log them with the stack; the body reveals nothing. */
  unexpected: boolean;
}

/** `Retry-After` of a 503 whose error names no delay of its own. */
export const DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Turns anything thrown while handling a request into an RFC 9457 problem response. */
export function toProblem(error: unknown, requestId: string, instance: string): ProblemResponse {
  const make = (
    status: number,
    code: string,
    detail: string,
    extra: Partial<ProblemDetails> = {},
    headers: Record<string, string> = {},
  ): ProblemResponse => ({
    status,
    headers,
    unexpected: status >= 500,
    body: {
      type: problemTypeForCode(code),
      title: titleForStatus(status),
      status,
      detail: truncate(detail, PROBLEM_LIMITS.text),
      instance: truncate(instance, PROBLEM_LIMITS.text),
      code,
      requestId,
      ...(extra.errors ? { errors: boundErrors(extra.errors) } : {}),
    },
  });

  if (error instanceof DomainError) {
    const status = statusForKind(error.kind);
    const headers: Record<string, string> = {};
    // An unavailable dependency always says when to come back.
    const retryAfter =
      error.extensions.retryAfterSeconds ??
      (error.kind === 'unavailable' ? DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS : undefined);
    if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
    // A domain error of kind 'internal' is still a server fault: its message stays in the logs.
    // An unavailable dependency's message is written for clients ("try again shortly").
    const detail = status >= 500 && error.kind !== 'unavailable' ? 'An unexpected error occurred.' : error.message;
    const extra = error.extensions.errors ? { errors: error.extensions.errors } : {};
    return make(status, error.code, detail, extra, headers);
  }

  // Includes Fastify's own 4xx errors (body too large, malformed JSON...), which Nest's Fastify
  // adapter maps to HttpException before they reach the filter.
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const detail = status >= 500 ? 'An unexpected error occurred.' : httpExceptionDetail(error);
    const headers: Record<string, string> = {};
    const retryAfter = (error as HttpException & { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    return make(status, codeForStatus(status), detail, {}, headers);
  }

  return make(500, 'INTERNAL_ERROR', 'An unexpected error occurred.');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first {@link PROBLEM_LIMITS.errors} field errors, each within the documented lengths. */
function boundErrors(errors: FieldError[]): FieldError[] {
  return errors.slice(0, PROBLEM_LIMITS.errors).map(({ field, message }) => ({
    field: truncate(field, PROBLEM_LIMITS.field),
    message: truncate(message, PROBLEM_LIMITS.text),
  }));
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const text = typeof message === 'string' ? message : Array.isArray(message) ? message.join('; ') : error.message;
  // Framework messages quote the URL ("Cannot GET /x?token=..."): never echo a query string back.
  return text.replace(/(\/[^\s?]*)\?\S*/g, '$1');
}
