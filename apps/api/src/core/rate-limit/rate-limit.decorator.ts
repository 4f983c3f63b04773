import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PROBLEM_CONTENT_TYPE } from '@app/common';

export const STRICT_RATE_LIMIT_KEY = 'rate-limit:strict';
/** Every limit counts requests per this window (and blocks for at most as long). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** Marks a controller or route as `@NotRateLimited()`: the OpenAPI document reads it. */
export const NOT_RATE_LIMITED_KEY = 'rate-limit:exempt';

/**
 * Exempts a controller or route from every rate limit (health probes, signed provider webhooks),
 * and says so in OpenAPI: no `X-RateLimit-*` headers and no 429 are documented for it.
 */
export function NotRateLimited(): ClassDecorator & MethodDecorator {
  return applyDecorators(SkipThrottle(), SetMetadata(NOT_RATE_LIMITED_KEY, true));
}

export interface StrictRateLimitOptions {
  /**
   * Also count requests per account (the body's `email`). Default true. Login turns it off: there
   * the account is protected by the failed-sign-in lockout, which nobody else can trigger for a
   * device that signed in before.
   */
  perAccount?: boolean;
  /** The 429's description in OpenAPI. */
  description?: string;
}

/**
 * The strict limit of credential routes (login, register, refresh, forgot-password): counted per
 * client IP and, when the body carries an `email` (and `perAccount` is not false), per account too.
 */
export function StrictRateLimit({ perAccount = true, description }: StrictRateLimitOptions = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(STRICT_RATE_LIMIT_KEY, { perAccount }),
    ApiResponse({
      status: 429,
      description:
        description ??
        'Too many attempts (`RATE_LIMITED`), counted per client IP and per account. Retry after the seconds in `Retry-After`.',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
    }),
  );
}
