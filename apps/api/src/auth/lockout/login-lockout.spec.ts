import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { createHash } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { makeConfig, makeRedisConnectionWithoutRedis } from '../../../../../test/utils/builders.js';
import { LoginLockedOutError } from '../auth.errors.js';
import type { DeviceTokens } from './device-tokens.js';
import { LoginLockout, type LoginAttemptInput } from './login-lockout.js';

const LOGIN = 'owner@example.com';
const WINDOW_SECONDS = 900;
const CLIENT_FAILURES = 3;
const ACCOUNT_FAILURES = 5;

function attemptFrom(ip: string, overrides: Partial<LoginAttemptInput> = {}): LoginAttemptInput {
  return { login: LOGIN, ip, deviceToken: undefined, ...overrides };
}

describe(LoginLockout.name, () => {
  let devices: { verify: Mock<DeviceTokens['verify']> };
  let sut: LoginLockout;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-03-11T12:00:00.000Z') });
    devices = { verify: vi.fn<DeviceTokens['verify']>().mockReturnValue(undefined) };
    // No REDIS_URL: the counters are the in-process ones @app/redis falls back to.
    sut = new LoginLockout(
      devices as unknown as DeviceTokens,
      makeRedisConnectionWithoutRedis(),
      makeConfig({
        LOGIN_LOCKOUT_WINDOW: `${WINDOW_SECONDS}s`,
        LOGIN_LOCKOUT_CLIENT_FAILURES: String(CLIENT_FAILURES),
        LOGIN_LOCKOUT_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
      }),
    );
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  /** `count` wrong passwords; answers the scopes the last one used up. */
  async function fail(input: LoginAttemptInput, count = 1): Promise<string[]> {
    let locked: string[] = [];
    for (let i = 0; i < count; i++) locked = (await sut.begin(input)).countFailure();
    return locked;
  }

  it('locks one account from one address after the client limit, saying which scope it used up', async () => {
    await expect(fail(attemptFrom('203.0.113.7'), CLIENT_FAILURES - 1)).resolves.toEqual([]);
    await expect(fail(attemptFrom('203.0.113.7'))).resolves.toEqual(['account_ip']);

    await expect(sut.begin(attemptFrom('203.0.113.7'))).rejects.toThrow(LoginLockedOutError);
    await expect(sut.begin(attemptFrom('198.51.100.1'))).resolves.toBeDefined();
    await expect(sut.begin(attemptFrom('203.0.113.7', { login: 'other@example.com' }))).resolves.toBeDefined();
  });

  it('answers the seconds left of the window as Retry-After', async () => {
    await fail(attemptFrom('203.0.113.7'), CLIENT_FAILURES);
    vi.advanceTimersByTime(100_500);

    await expect(sut.begin(attemptFrom('203.0.113.7'))).rejects.toMatchObject({
      code: 'LOGIN_LOCKED_OUT',
      extensions: { retryAfterSeconds: WINDOW_SECONDS - 100 },
    });
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    await fail(attemptFrom('2001:db8::1'), CLIENT_FAILURES - 1);
    await expect(fail(attemptFrom('2001:db8::2'))).resolves.toEqual(['account_ip']);

    await expect(sut.begin(attemptFrom('2001:db8::3'))).rejects.toThrow(LoginLockedOutError);
    await expect(sut.begin(attemptFrom('2001:db8:0:1::1'))).resolves.toBeDefined();
  });

  it('locks the account for every untrusted client at the account ceiling, across addresses', async () => {
    for (let i = 1; i < ACCOUNT_FAILURES; i++) await fail(attemptFrom(`198.51.100.${i}`));
    await expect(fail(attemptFrom('198.51.100.99'))).resolves.toEqual(['account']);

    await expect(sut.begin(attemptFrom('192.0.2.1'))).rejects.toThrow(LoginLockedOutError);
  });

  it('spares a trusted device the account lockout, and counts it on its own', async () => {
    for (let i = 1; i <= ACCOUNT_FAILURES; i++) await fail(attemptFrom(`198.51.100.${i}`));
    devices.verify.mockReturnValue({ nonce: 'device-nonce' });
    const trusted = attemptFrom('198.51.100.1', { deviceToken: 'a-device-token' });

    await expect(fail(trusted, CLIENT_FAILURES - 1)).resolves.toEqual([]);
    await expect(fail(trusted)).resolves.toEqual(['device']);
    await expect(sut.begin(trusted)).rejects.toThrow(LoginLockedOutError);
    expect(devices.verify).toHaveBeenCalledWith(LOGIN, 'a-device-token');
  });

  it('gives a successful attempt’s charge back: successes never use up the budget', async () => {
    for (let i = 0; i < 2 * ACCOUNT_FAILURES; i++) await (await sut.begin(attemptFrom('203.0.113.7'))).release();

    await expect(fail(attemptFrom('203.0.113.7'), CLIENT_FAILURES)).resolves.toEqual(['account_ip']);
  });

  it('gives the other counters their charge back when one refuses the attempt', async () => {
    await fail(attemptFrom('203.0.113.7'), CLIENT_FAILURES);
    for (let i = 0; i < ACCOUNT_FAILURES; i++) {
      await expect(sut.begin(attemptFrom('203.0.113.7'))).rejects.toThrow(LoginLockedOutError);
    }

    // Refused attempts left the account count at CLIENT_FAILURES: two more failures reach the ceiling.
    await expect(fail(attemptFrom('198.51.100.1'))).resolves.toEqual([]);
    await expect(fail(attemptFrom('198.51.100.1'))).resolves.toEqual(['account']);
  });

  it('throws a counter’s infrastructure failure as it is, after giving the other charges back', async () => {
    const failure = new Error('counter store unavailable');
    vi.spyOn(RateLimiterMemory.prototype, 'consume').mockRejectedValueOnce(failure);
    const reward = vi.spyOn(RateLimiterMemory.prototype, 'reward');

    await expect(sut.begin(attemptFrom('203.0.113.7'))).rejects.toBe(failure);
    expect(reward).toHaveBeenCalledTimes(1);
    expect(reward).toHaveBeenCalledWith(createHash('sha256').update(LOGIN).digest('hex'));
  });
});
