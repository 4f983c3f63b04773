import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { BoundedMap, DomainError, perRoute } from '@app/common';
import { NOT_RATE_LIMITED_KEY, STRICT_RATE_LIMIT_KEY } from './rate-limit.decorator.js';

/** How many storage keys the guard remembers having hashed. */
const HASHED_KEYS_MAX_ENTRIES = 10_000;

/**
 * @nestjs/throttler's guard, answering with our problem+json 429 and a plain `Retry-After`. The
 * 429 carries the `X-RateLimit-*` headers of the limit that was exceeded, like every other answer
 * of a rate-limited route. It remembers the keys it hashed: the built-in hashes route, throttler
 * and client into a SHA-256 on every request, while the same clients keep calling the same routes.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly hashedKeys = new BoundedMap<string, string>(HASHED_KEYS_MAX_ENTRIES);

  /**
   * `@NotRateLimited()` routes, read once per route: the built-in reads each limit's metadata per
   * request. A `@StrictRateLimit()` route is never exempt, whatever its controller says.
   */
  private readonly exempt = perRoute((context) => {
    const targets = [context.getHandler(), context.getClass()];
    const notRateLimited = this.reflector.getAllAndOverride<boolean | undefined>(NOT_RATE_LIMITED_KEY, targets);
    const strict = this.reflector.get<unknown>(STRICT_RATE_LIMIT_KEY, context.getHandler());
    return notRateLimited === true && strict === undefined;
  });

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(this.exempt(context));
  }

  /** The built-in key (the same Redis keys), computed once per route, throttler and client. */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    const input = `${context.getClass().name}-${context.getHandler().name}-${name}-${suffix}`;
    let key = this.hashedKeys.get(input);
    if (key === undefined) {
      key = super.generateKey(context, suffix, name);
      this.hashedKeys.set(input, key);
    }
    return key;
  }

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
