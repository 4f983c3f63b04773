import { Injectable } from '@nestjs/common';
import { verifyPassword } from '@app/common';
import { createFailureCounter, RateLimiterRes, RedisConnection, type FailureCounter } from '@app/redis';
import { AppConfig } from '@app/config';
import { ReauthenticationLockedOutError } from './iam.errors.js';

/**
 * The current password asked again by a sensitive change of a signed-in account (a new email,
 * deleting the account, a new password). Whoever holds a stolen access token could otherwise
 * guess the password there at the general rate limit; so wrong answers are counted per account
 * (`LOGIN_LOCKOUT_CLIENT_FAILURES` per `LOGIN_LOCKOUT_WINDOW`, shared by the three routes), and
 * past that the check answers 429 `REAUTHENTICATION_LOCKED_OUT` before the password is hashed.
 *
 * Only failures count: each check is charged before the password is verified, and a right
 * password (or a check that could not run) gives the charge back. Sign-in is not affected, and a
 * password reset by email, which ends every session (the stolen token's too), stays open.
 */
@Injectable()
export class PasswordConfirmations {
  private readonly failures: FailureCounter;

  constructor(redis: RedisConnection, config: AppConfig) {
    const { windowSeconds, clientFailures } = config.loginLockout;
    this.failures = createFailureCounter(redis, config, { name: 'reauth', limit: clientFailures, windowSeconds });
  }

  /** Whether `password` is the account's; throws {@link ReauthenticationLockedOutError} past the limit. */
  async confirm(userId: string, passwordHash: string, password: string): Promise<boolean> {
    try {
      await this.failures.consume(userId);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw new ReauthenticationLockedOutError(Math.ceil(error.msBeforeNext / 1000));
      }
      throw error;
    }
    let valid: boolean | undefined;
    try {
      valid = await verifyPassword(passwordHash, password);
      return valid;
    } finally {
      // Kept only for a wrong password: a right one, or a check that failed to run, gives it back.
      if (valid !== false) await this.failures.reward(userId);
    }
  }
}
