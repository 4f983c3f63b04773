import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { DomainError } from '@app/common';

/** @nestjs/throttler's guard, answering with our problem+json 429 and a plain `Retry-After`. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new DomainError('rate_limited', 'RATE_LIMITED', 'Too many requests. Retry later.', {
      retryAfterSeconds: Math.max(1, detail.timeToBlockExpire),
    });
  }
}
