import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { DomainError } from '@app/common';

/**
 * @nestjs/throttler's guard, answering with our problem+json 429 and a plain `Retry-After`. The
 * 429 carries the `X-RateLimit-*` headers of the limit that was exceeded, like every other answer
 * of a rate-limited route.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const { res } = this.getRequestResponse(context);
    this.setResponseHeader(res, `${this.headerPrefix}-Limit`, detail.limit);
    this.setResponseHeader(res, `${this.headerPrefix}-Remaining`, 0);
    this.setResponseHeader(res, `${this.headerPrefix}-Reset`, detail.timeToBlockExpire);
    throw new DomainError('rate_limited', 'RATE_LIMITED', 'Too many requests. Retry later.', {
      retryAfterSeconds: Math.max(1, detail.timeToBlockExpire),
    });
  }
}
