import { HttpException } from '@nestjs/common';
import { errorCodes } from 'fastify';
import { DomainError, statusForKind } from './domain-error.js';
import {
  codeForStatus,
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

/**
 * Client errors Fastify raises before a Nest handler runs (body parsing, URL decoding). They are
 * matched by class, and only these: any other error thrown by Fastify is a server fault.
 */
const FASTIFY_CLIENT_ERRORS: ReadonlyArray<{ type: new (...args: never[]) => Error; detail: string }> = [
  { type: errorCodes.FST_ERR_CTP_BODY_TOO_LARGE, detail: 'The request body is larger than the server accepts.' },
  { type: errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE, detail: 'The request body has an unsupported content type.' },
  { type: errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH, detail: 'The Content-Length header does not match the body.' },
  { type: errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY, detail: 'The request declares a JSON body but sends none.' },
  { type: errorCodes.FST_ERR_CTP_INVALID_JSON_BODY, detail: 'The request body is not valid JSON.' },
  { type: errorCodes.FST_ERR_BAD_URL, detail: 'The request URL is malformed.' },
  { type: errorCodes.FST_ERR_INVALID_URL, detail: 'The request URL is malformed.' },
  { type: errorCodes.FST_ERR_MAX_PARAM_LENGTH, detail: 'A path parameter is too long.' },
];

/** Fastify's JSON parser reports malformed JSON as a SyntaxError tagged with a 400 status. */
function isJsonSyntaxError(error: unknown): error is SyntaxError & { statusCode: number } {
  return error instanceof SyntaxError && (error as SyntaxError & { statusCode?: unknown }).statusCode === 400;
}

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
      detail,
      instance,
      code,
      requestId,
      ...extra,
    },
  });

  if (error instanceof DomainError) {
    const status = statusForKind(error.kind);
    const headers: Record<string, string> = {};
    if (error.extensions.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(error.extensions.retryAfterSeconds)));
    }
    // A domain error of kind 'internal' is still a server fault: its message stays in the logs.
    const detail = status >= 500 ? 'An unexpected error occurred.' : error.message;
    const extra = error.extensions.errors ? { errors: error.extensions.errors } : {};
    return make(status, error.code, detail, extra, headers);
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const detail = status >= 500 ? 'An unexpected error occurred.' : httpExceptionDetail(error);
    const headers: Record<string, string> = {};
    const retryAfter = (error as HttpException & { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    return make(status, codeForStatus(status), detail, {}, headers);
  }

  for (const known of FASTIFY_CLIENT_ERRORS) {
    if (error instanceof known.type) {
      const status = (error as Error & { statusCode: number }).statusCode;
      return make(status, codeForStatus(status), known.detail);
    }
  }
  if (isJsonSyntaxError(error)) {
    return make(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }

  return make(500, 'INTERNAL_ERROR', 'An unexpected error occurred.');
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}
