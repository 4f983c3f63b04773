import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { createHash } from 'node:crypto';
import { Reflector } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DomainError } from '@app/common';
import { makeHttpContext } from '../../../../../test/utils/builders.js';
import { NotRateLimited, STRICT_RATE_LIMIT_KEY, StrictRateLimit } from './rate-limit.decorator.js';
import { RateLimitGuard } from './rate-limit.guard.js';

const LIMIT = 2;
const TTL_MS = 60_000;

class ThingsController {
  list(): void {}
  create(): void {}
  probe(): void {}
}
NotRateLimited()(
  ThingsController.prototype,
  'probe',
  Object.getOwnPropertyDescriptor(ThingsController.prototype, 'probe')!,
);

/** A request from `ip` to one of ThingsController's routes, and the headers set on its reply. */
function requestFrom(ip: string, route: keyof ThingsController = 'list') {
  const headers: Record<string, unknown> = {};
  const response = { header: (name: string, value: unknown) => (headers[name] = value) };
  const context = makeHttpContext({
    request: { ip, headers: {} },
    response,
    handler: ThingsController.prototype[route],
    controller: ThingsController,
  });
  return { context, headers };
}

/** The key @nestjs/throttler itself derives (the one its Redis storage already holds counts under). */
const throttlerKey = (route: string, ip: string) =>
  createHash('sha256').update(`ThingsController-${route}-default-${ip}`).digest('hex');

describe(RateLimitGuard.name, () => {
  let storage: { increment: Mock<ThrottlerStorage['increment']> };
  let sut: RateLimitGuard;

  beforeEach(async () => {
    storage = {
      increment: vi
        .fn<ThrottlerStorage['increment']>()
        .mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 }),
    };
    sut = new RateLimitGuard(
      { throttlers: [{ name: 'default', ttl: TTL_MS, limit: LIMIT }], getTracker: (req) => String(req.ip) },
      storage as unknown as ThrottlerStorage,
      new Reflector(),
    );
    await sut.onModuleInit();
  });

  it('counts under the built-in key of route, throttler and client, one per client and route', async () => {
    await sut.canActivate(requestFrom('203.0.113.7').context);
    await sut.canActivate(requestFrom('203.0.113.7').context);
    await sut.canActivate(requestFrom('198.51.100.1').context);
    await sut.canActivate(requestFrom('203.0.113.7', 'create').context);

    expect(storage.increment.mock.calls.map(([key]) => key)).toEqual([
      throttlerKey('list', '203.0.113.7'),
      throttlerKey('list', '203.0.113.7'),
      throttlerKey('list', '198.51.100.1'),
      throttlerKey('create', '203.0.113.7'),
    ]);
    expect(storage.increment).toHaveBeenCalledWith(
      throttlerKey('list', '203.0.113.7'),
      TTL_MS,
      LIMIT,
      TTL_MS,
      'default',
    );
  });

  it('lets a request within the limit through with the X-RateLimit headers', async () => {
    const { context, headers } = requestFrom('203.0.113.7');

    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(headers).toEqual({ 'X-RateLimit-Limit': LIMIT, 'X-RateLimit-Remaining': 1, 'X-RateLimit-Reset': 60 });
  });

  it('answers a blocked client RATE_LIMITED with its Retry-After, and the headers of the limit exceeded', async () => {
    storage.increment.mockResolvedValue({ totalHits: 3, timeToExpire: 42, isBlocked: true, timeToBlockExpire: 42 });
    const { context, headers } = requestFrom('203.0.113.7');

    const check = sut.canActivate(context);

    await expect(check).rejects.toThrow(DomainError);
    await expect(check).rejects.toMatchObject({
      kind: 'rate_limited',
      code: 'RATE_LIMITED',
      extensions: { retryAfterSeconds: 42 },
    });
    expect(headers).toMatchObject({ 'X-RateLimit-Limit': LIMIT, 'X-RateLimit-Remaining': 0, 'X-RateLimit-Reset': 42 });
  });

  it('lets a @NotRateLimited() route through without counting it, and reads its decorators once', async () => {
    const reflector = new Reflector();
    const read = vi.spyOn(reflector, 'getAllAndOverride');
    sut = new RateLimitGuard(
      { throttlers: [{ name: 'default', ttl: TTL_MS, limit: LIMIT }], getTracker: (req) => String(req.ip) },
      storage as unknown as ThrottlerStorage,
      reflector,
    );
    await sut.onModuleInit();

    for (let i = 0; i < 3; i++)
      await expect(sut.canActivate(requestFrom('203.0.113.7', 'probe').context)).resolves.toBe(true);

    expect(storage.increment).not.toHaveBeenCalled();
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('keeps the strict limit of a @StrictRateLimit() route in a @NotRateLimited() controller', async () => {
    @NotRateLimited()
    class ProbesController {
      @StrictRateLimit()
      signIn(): void {}
    }
    sut = new RateLimitGuard(
      {
        throttlers: [
          { name: 'default', ttl: TTL_MS, limit: LIMIT },
          {
            name: 'strict-ip',
            ttl: TTL_MS,
            limit: LIMIT,
            skipIf: (context) => Reflect.getMetadata(STRICT_RATE_LIMIT_KEY, context.getHandler()) === undefined,
          },
        ],
        getTracker: (req) => String(req.ip),
      },
      storage as unknown as ThrottlerStorage,
      new Reflector(),
    );
    await sut.onModuleInit();
    const context = makeHttpContext({
      request: { ip: '203.0.113.7', headers: {} },
      response: { header: () => undefined },
      handler: ProbesController.prototype.signIn,
      controller: ProbesController,
    });

    await expect(sut.canActivate(context)).resolves.toBe(true);

    // The general limit is skipped (SkipThrottle), the strict one still counts.
    expect(storage.increment.mock.calls.map((call) => call[4])).toEqual(['strict-ip']);
  });

  it('never answers a Retry-After below one second', async () => {
    storage.increment.mockResolvedValue({ totalHits: 3, timeToExpire: 0, isBlocked: true, timeToBlockExpire: 0 });

    await expect(sut.canActivate(requestFrom('203.0.113.7').context)).rejects.toMatchObject({
      extensions: { retryAfterSeconds: 1 },
    });
  });
});
