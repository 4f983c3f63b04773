import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { hashPassword, normalizeEmail, ValidationFailedError, verifyPassword } from '@app/common';
import type { User } from '@app/database';
import { SecurityEventsRepository, SecurityEventType } from '../audit/security-events.repository.js';
import { sessionIdOf, type AuthUser, type ClientInfo } from '../iam/auth-user.js';
import { PasswordConfirmations } from '../iam/password-confirmations.js';
import { passwordChangedMail, passwordResetMail } from '../mail/mail-templates.js';
import { Mailer } from '../mail/mailer.service.js';
import { SessionRevocationReason, SessionsService, type IssuedTokens } from '../sessions/sessions.service.js';
import type { UserResponseDto } from '../users/dto/user-response.dto.js';
import { UserTokensService } from '../users/user-tokens.service.js';
import { IncorrectPasswordError, InvalidUserTokenError } from '../users/users.errors.js';
import { UsersService } from '../users/users.service.js';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors.js';
import type { RegisterDto } from './dto/register.dto.js';
import { DeviceTokens, type IssuedDeviceToken } from './lockout/device-tokens.js';
import { LoginLockout } from './lockout/login-lockout.js';
import { passwordProblems } from './password/password-policy.js';
import { ShutdownState } from '../core/shutdown/shutdown-state.js';

/** The identity a password check proves, before any session exists. */
export interface VerifiedCredentials {
  id: string;
  role: User['role'];
  /** The normalised email signed in with: the login a device token is bound to. */
  login: string;
}

/** What a sign-in returns: the session's tokens and this device's new device token. */
export interface SignedIn {
  tokens: IssuedTokens;
  device: IssuedDeviceToken;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** Verified against when the email is unknown, so both failures cost the same time. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UsersService,
    private readonly userTokens: UserTokensService,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEventsRepository,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
    private readonly lockout: LoginLockout,
    private readonly devices: DeviceTokens,
    private readonly passwords: PasswordConfirmations,
    private readonly shutdown: ShutdownState,
  ) {}

  async register(input: RegisterDto): Promise<UserResponseDto> {
    const user = await this.users.create({
      email: input.email,
      name: input.name,
      passwordHash: await hashPassword(input.password),
    });
    // The account exists either way; a failed email can be re-sent from /v1/auth/email/resend.
    await this.users.sendEmailVerification(user.id).catch((error: unknown) => {
      this.logger.warn(`Could not send the verification email to user ${user.id}: ${String(error)}`);
    });
    return user;
  }

  /**
   * Used by the local strategy. Unknown email and wrong password fail alike, in about the same time.
   * The lockout is checked first (a locked attempt costs no database read and no hash); only a
   * wrong password (or unknown email) is left counted against it.
   */
  async verifyCredentials(
    email: string,
    password: string,
    client: ClientInfo,
    deviceToken: string | undefined,
  ): Promise<VerifiedCredentials> {
    const login = normalizeEmail(email);
    const attempt = await this.lockout.begin({ login, ip: client.ip, deviceToken });
    let user: User | null;
    let valid: boolean;
    try {
      user = await this.users.findByEmail(login);
      valid = await verifyPassword(user?.passwordHash ?? (await this.getDummyHash()), password);
    } catch (error) {
      // The password was never checked: the attempt is no failure.
      await attempt.release();
      throw error;
    }
    if (!user || !valid || user.status === 'DELETED') {
      const lockedScopes = attempt.countFailure();
      // Nobody is signed in: the failure has no actor, only the account it was tried on.
      await this.events.record({
        type: SecurityEventType.LoginFailed,
        userId: user?.id,
        actorId: null,
        client,
        details: { reason: user ? 'wrong_password' : 'unknown_email' },
      });
      for (const scope of lockedScopes) {
        await this.events.record({
          type: SecurityEventType.LoginLockedOut,
          userId: user?.id,
          actorId: null,
          client,
          details: { scope },
        });
      }
      throw new InvalidCredentialsError();
    }
    await attempt.release();
    if (user.status === 'DISABLED') throw new AccountDisabledError();
    return { id: user.id, role: user.role, login };
  }

  async login(credentials: VerifiedCredentials, client: ClientInfo): Promise<SignedIn> {
    const tokens = await this.sessions.start(credentials, client);
    await this.events.record({
      type: SecurityEventType.LoginSucceeded,
      userId: credentials.id,
      actorId: credentials.id,
      client,
    });
    return { tokens, device: this.devices.issue(credentials.login) };
  }

  /** Also ends a pending email change: it may have been asked for from one of those sessions. */
  async logoutAll(user: AuthUser, client: ClientInfo): Promise<void> {
    await this.sessions.revokeAll(user.id, SessionRevocationReason.LogoutAll, { client, actorId: user.id });
    await this.users.endPendingEmailChange(user.id);
  }

  /**
   * Answers at once and the same whether or not the email exists: the lookup and the email
   * happen after the response, so neither the body nor the timing tells. Shutdown waits for them
   * (the database and the mailer close after), like for a request.
   */
  forgotPassword(email: string, client: ClientInfo): void {
    void this.shutdown.track(this.sendPasswordReset(email, client)).catch((error: unknown) => {
      this.logger.error(`Password reset email failed: ${String(error)}`);
    });
  }

  /**
   * Sets a new password from an emailed token and ends every session. A link only works while the
   * account still has the address it was sent to; setting the password retires every other link.
   */
  async resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    // Checked against the account's email before the token is used up: a refused password leaves it usable.
    const pending = await this.userTokens.peek(token, ['PASSWORD_RESET']);
    const account = await this.users.getUser(pending.userId);
    // Bound to the address it was sent to, and only for an account that can sign in afterwards.
    if (account.email !== pending.email || account.status !== 'ACTIVE') throw new InvalidUserTokenError();
    const passwordHash = await this.acceptedHash(newPassword, pending.email, undefined);
    const record = await this.userTokens.consume(token, ['PASSWORD_RESET']);
    const user = await this.users.setPassword(record.userId, passwordHash);
    // The holder of the link mailed to the account's address acts as the account.
    await this.sessions.revokeAll(user.id, SessionRevocationReason.PasswordReset, { client, actorId: user.id });
    await this.events.record({ type: SecurityEventType.PasswordReset, userId: user.id, actorId: user.id, client });
    await this.notifyPasswordChanged(user);
  }

  /** Changes the password (the current one required) and ends every other session. */
  async changePassword(
    caller: AuthUser,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.users.getUser(caller.id);
    if (!(await this.passwords.confirm(user.id, user.passwordHash, currentPassword)))
      throw new IncorrectPasswordError('currentPassword');
    await this.users.setPassword(user.id, await this.acceptedHash(newPassword, user.email, user.name, 'newPassword'));
    await this.sessions.revokeAll(user.id, SessionRevocationReason.PasswordChanged, {
      exceptSessionId: sessionIdOf(caller),
      client,
      actorId: user.id,
    });
    await this.events.record({
      type: SecurityEventType.PasswordChanged,
      userId: user.id,
      actorId: user.id,
      sessionId: sessionIdOf(caller),
      client,
    });
    await this.notifyPasswordChanged(user);
  }

  private async sendPasswordReset(email: string, client: ClientInfo): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || user.status !== 'ACTIVE') return;
    const ttl = this.config.auth.passwordResetTtlSeconds;
    const token = await this.userTokens.issue(user.id, 'PASSWORD_RESET', user.email, ttl);
    // Anyone may ask for a reset link for any address: nobody is signed in, so no actor.
    await this.events.record({
      type: SecurityEventType.PasswordResetRequested,
      userId: user.id,
      actorId: null,
      client,
    });
    await this.mailer.send(
      passwordResetMail({
        appName: this.config.app.name,
        frontendUrl: this.config.app.frontendUrl,
        to: user.email,
        name: user.name,
        token,
        expiresInMinutes: Math.round(ttl / 60),
      }),
    );
  }

  private async acceptedHash(
    password: string,
    email: string,
    name: string | undefined,
    field = 'newPassword',
  ): Promise<string> {
    const problems = passwordProblems(password, { email, name });
    if (problems.length > 0) {
      throw new ValidationFailedError(
        problems.map((message) => ({ field, message: message.replace(/^password/, field) })),
      );
    }
    return hashPassword(password);
  }

  private async notifyPasswordChanged(user: User): Promise<void> {
    await this.mailer
      .send(passwordChangedMail({ appName: this.config.app.name, to: user.email, name: user.name }))
      .catch((error: unknown) => this.logger.warn(`Could not send the password-changed notice: ${String(error)}`));
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword('timing-equaliser-password-never-used');
    return this.dummyHash;
  }
}
