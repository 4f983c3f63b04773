import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { hashPassword } from '@app/common';
import { makeConfig, makeRedisConnectionWithoutRedis } from '../../../../test/utils/builders.js';
import { ReauthenticationLockedOutError } from './iam.errors.js';
import { PasswordConfirmations } from './password-confirmations.js';

const PASSWORD = 'correct horse battery staple';
const LIMIT = 3;
const WINDOW_SECONDS = 600;

describe(PasswordConfirmations.name, () => {
  let passwordHash: string;
  let sut: PasswordConfirmations;

  beforeAll(async () => {
    passwordHash = await hashPassword(PASSWORD);
  });

  beforeEach(() => {
    // No REDIS_URL: the counter is the in-process one @app/redis falls back to.
    sut = new PasswordConfirmations(
      makeRedisConnectionWithoutRedis(),
      makeConfig({ LOGIN_LOCKOUT_CLIENT_FAILURES: String(LIMIT), LOGIN_LOCKOUT_WINDOW: `${WINDOW_SECONDS}s` }),
    );
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('answers whether the password is the account’s', async () => {
    await expect(sut.confirm('user-1', passwordHash, PASSWORD)).resolves.toBe(true);
    await expect(sut.confirm('user-1', passwordHash, 'wrong')).resolves.toBe(false);
  });

  it('locks the account’s confirmations after the limit of wrong passwords, before checking the right one', async () => {
    for (let i = 0; i < LIMIT; i++) await sut.confirm('user-1', passwordHash, 'wrong');

    await expect(sut.confirm('user-1', passwordHash, PASSWORD)).rejects.toThrow(ReauthenticationLockedOutError);
    await expect(sut.confirm('user-2', passwordHash, PASSWORD)).resolves.toBe(true);
  });

  it('answers the seconds left of the window as Retry-After', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-11T12:00:00.000Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    for (let i = 0; i < LIMIT; i++) await sut.confirm('user-1', passwordHash, 'wrong');
    vi.setSystemTime(new Date('2026-03-11T12:01:00.000Z'));

    await expect(sut.confirm('user-1', passwordHash, PASSWORD)).rejects.toMatchObject({
      code: 'REAUTHENTICATION_LOCKED_OUT',
      extensions: { retryAfterSeconds: WINDOW_SECONDS - 60 },
    });
  });

  it('counts only wrong passwords: right ones give their charge back', async () => {
    for (let i = 0; i < 2 * LIMIT; i++) await sut.confirm('user-1', passwordHash, PASSWORD);
    for (let i = 0; i < LIMIT - 1; i++) await sut.confirm('user-1', passwordHash, 'wrong');

    await expect(sut.confirm('user-1', passwordHash, PASSWORD)).resolves.toBe(true);
  });

  it('throws a failure of the counter as it is, without checking the password', async () => {
    const failure = new Error('counter store unavailable');
    vi.spyOn(RateLimiterMemory.prototype, 'consume').mockRejectedValueOnce(failure);
    const reward = vi.spyOn(RateLimiterMemory.prototype, 'reward');

    await expect(sut.confirm('user-1', passwordHash, PASSWORD)).rejects.toBe(failure);
    expect(reward).not.toHaveBeenCalled();
  });
});
