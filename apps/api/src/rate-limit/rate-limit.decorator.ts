import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PROBLEM_CONTENT_TYPE } from '@app/common';

export const STRICT_RATE_LIMIT_KEY = 'rate-limit:strict';
/** Every limit counts requests per this window (and blocks for at most as long). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;
/** Marks an operation as not rate limited in the generated spec (read and removed by `finalizeDocument`). */
export const RATE_LIMITED_EXTENSION = 'x-rate-limited';

/**
 * Exempts a controller or route from every rate limit (health probes, signed provider webhooks),
 * and says so in OpenAPI: no `X-RateLimit-*` headers and no 429 are documented for it.
 */
export function NotRateLimited(): ClassDecorator & MethodDecorator {
  return applyDecorators(SkipThrottle(), ApiExtension(RATE_LIMITED_EXTENSION, false));
}

/**
 * The strict limit of credential routes (login, register, refresh, forgot-password): counted per
 * client IP and, when the body carries an `email`, per account too.
 */
export function StrictRateLimit(): MethodDecorator {
  return applyDecorators(
    SetMetadata(STRICT_RATE_LIMIT_KEY, true),
    ApiResponse({
      status: 429,
      description:
        'Too many attempts (`RATE_LIMITED`), counted per client IP and per account. Retry after the seconds in `Retry-After`.',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
    }),
  );
}
