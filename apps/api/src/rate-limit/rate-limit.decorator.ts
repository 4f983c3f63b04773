import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '@app/common';

export const STRICT_RATE_LIMIT_KEY = 'rate-limit:strict';

/**
 * The strict limit of credential routes (login, register, refresh, forgot-password): counted per
 * client IP and, when the body carries an `email`, per account too.
 */
export function StrictRateLimit(): MethodDecorator {
  return applyDecorators(
    SetMetadata(STRICT_RATE_LIMIT_KEY, true),
    ApiResponse({
      status: 429,
      description: 'Too many attempts. Retry after the number of seconds in `Retry-After`.',
      headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } },
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
    }),
  );
}
