import type { FieldError } from './domain-error.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Upper bounds of a problem body, enforced by `toProblem` and declared in the OpenAPI schema, so a
 * client can size its buffers and a long URL or a huge invalid payload can't inflate an error.
 */
export const PROBLEM_LIMITS = {
  /** Characters of `type`, `title` and `code`. */
  short: 100,
  /** Characters of `detail`, `instance` and each field error's `message`. */
  text: 2048,
  /** Characters of a field error's dotted path. */
  field: 256,
  /** Entries of `errors`. */
  errors: 100,
} as const;

/** RFC 9457 problem details, plus the stable `code` and the `requestId` of the failed request. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleForStatus(status: number): string {
  return STATUS_TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** `USER_EMAIL_TAKEN` -> `urn:problem-type:user-email-taken`: a stable identifier per code. */
export function problemTypeForCode(code: string): string {
  return `urn:problem-type:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Generic codes for HTTP errors raised by the framework rather than by a service. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 414:
      return 'URI_TOO_LONG';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 422:
      return 'UNPROCESSABLE';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
  }
}
