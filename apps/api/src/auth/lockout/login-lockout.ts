import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createFailureCounter, RateLimiterRes, RedisConnection, type FailureCounter } from '@app/redis';
import { AppConfig } from '@app/config';
import { clientBucketOf } from '../../core/rate-limit/client-bucket.js';
import { LoginLockedOutError } from '../auth.errors.js';
import { DeviceTokens } from './device-tokens.js';

/** Which failure counter a sign-in attempt is charged to. */
const LockoutScope = {
  /** One device that signed in to the account before (a valid device token). */
  Device: 'device',
  /** One account from one address (an IPv6 one by its /64), for clients without a device token. */
  AccountAndIp: 'account_ip',
  /** One account from every client without a device token together: the higher ceiling. */
  Account: 'account',
} as const;
type LockoutScope = (typeof LockoutScope)[keyof typeof LockoutScope];

export interface LoginAttemptInput {
  /** The normalised email the client signs in with (known to us or not). */
  login: string;
  ip: string | undefined;
  /** The device token the client presented (cookie or body), if any. */
  deviceToken: string | undefined;
}

interface Charge {
  scope: LockoutScope;
  counter: FailureCounter;
  key: string;
  limit: number;
  /** The count this attempt brought the window to. */
  consumed: number;
}

/**
 * One sign-in attempt, charged to its counters before the password is checked. Settle it once the
 * answer is known: {@link release} gives the charge back (successes never use up the budget),
 * {@link countFailure} keeps it.
 */
class LoginAttempt {
  constructor(private readonly charges: Charge[]) {}

  /** The password was right, or never checked: nothing counts. */
  async release(): Promise<void> {
    await Promise.all(this.charges.map(({ counter, key }) => counter.reward(key)));
  }

  /** The password was wrong: the charges stay. Returns the scopes this failure used up (now locked). */
  countFailure(): LockoutScope[] {
    return this.charges.filter(({ consumed, limit }) => consumed === limit).map(({ scope }) => scope);
  }
}

function hashed(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * Stops password guessing per account without letting anyone lock the owner out (OWASP's device
 * cookies, ASVS 5.0 6.1.1 and 6.3.1). Failed passwords are counted over `LOGIN_LOCKOUT_WINDOW`:
 *
 * - with a valid device token for the login: per device (`LOGIN_LOCKOUT_CLIENT_FAILURES`), and
 *   nothing else, so failures elsewhere never lock a device that signed in before;
 * - without one: per account and address (`LOGIN_LOCKOUT_CLIENT_FAILURES`; an IPv6 address by its
 *   /64, see {@link clientBucketOf}) and per account from
 *   all such clients together (`LOGIN_LOCKOUT_ACCOUNT_FAILURES`, the higher ceiling that bounds
 *   guessing from many addresses).
 *
 * An attempt is charged before the password is checked, atomically (Redis, shared by every
 * instance), and a success gives its charge back: concurrent guesses can't overrun a limit, and
 * only failures are left counted. A locked attempt is refused before any database read or hash.
 */
@Injectable()
export class LoginLockout {
  private readonly device: FailureCounter;
  private readonly accountAndIp: FailureCounter;
  private readonly account: FailureCounter;
  private readonly clientLimit: number;
  private readonly accountLimit: number;

  constructor(
    private readonly devices: DeviceTokens,
    redis: RedisConnection,
    config: AppConfig,
  ) {
    const { windowSeconds, clientFailures, accountFailures } = config.loginLockout;
    this.clientLimit = clientFailures;
    this.accountLimit = accountFailures;
    const counter = (name: string, limit: number) =>
      createFailureCounter(redis, config, { name, limit, windowSeconds });
    this.device = counter('login-device', clientFailures);
    this.accountAndIp = counter('login-account-ip', clientFailures);
    this.account = counter('login-account', accountFailures);
  }

  /** Charges the attempt, or throws {@link LoginLockedOutError} (429) when one of its counters is full. */
  async begin(input: LoginAttemptInput): Promise<LoginAttempt> {
    const device = this.devices.verify(input.login, input.deviceToken);
    const wanted: Omit<Charge, 'consumed'>[] = device
      ? [{ scope: LockoutScope.Device, counter: this.device, key: hashed(device.nonce), limit: this.clientLimit }]
      : [
          {
            scope: LockoutScope.AccountAndIp,
            counter: this.accountAndIp,
            key: hashed(input.login, clientBucketOf(input.ip)),
            limit: this.clientLimit,
          },
          { scope: LockoutScope.Account, counter: this.account, key: hashed(input.login), limit: this.accountLimit },
        ];
    const results = await Promise.allSettled(wanted.map(({ counter, key }) => counter.consume(key)));

    const charges: Charge[] = [];
    let retryAfterMs = 0;
    let unexpected: unknown;
    for (const [i, result] of results.entries()) {
      const charge = wanted[i];
      if (!charge) continue;
      if (result.status === 'fulfilled') charges.push({ ...charge, consumed: result.value.consumedPoints });
      else if (result.reason instanceof RateLimiterRes)
        retryAfterMs = Math.max(retryAfterMs, result.reason.msBeforeNext);
      else unexpected = result.reason;
    }
    const attempt = new LoginAttempt(charges);
    if (charges.length < wanted.length) {
      // Refused (or not counted): the password is never checked, so the others get their charge back.
      await attempt.release();
      if (unexpected !== undefined)
        throw unexpected instanceof Error
          ? unexpected
          : new Error(`Unexpected failure of the lockout counter: ${JSON.stringify(unexpected)}`);
      throw new LoginLockedOutError(Math.ceil(retryAfterMs / 1000));
    }
    return attempt;
  }
}
