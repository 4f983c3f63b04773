import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPassword, ValidationFailedError, verifyPassword } from '@app/common';
import type { User } from '@app/database';
import { makeClient, makeConfig, makeUser, makeUserToken } from '../../../../test/utils/builders.js';
import { SecurityEventType, type SecurityEventsRepository } from '../audit/security-events.repository.js';
import type { PasswordConfirmations } from '../iam/password-confirmations.js';
import type { Mailer } from '../mail/mailer.service.js';
import { SessionRevocationReason, type SessionsService } from '../sessions/sessions.service.js';
import type { UserTokensService } from '../users/user-tokens.service.js';
import { IncorrectPasswordError, InvalidUserTokenError } from '../users/users.errors.js';
import type { UsersService } from '../users/users.service.js';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import type { DeviceTokens } from './lockout/device-tokens.js';
import type { LoginLockout } from './lockout/login-lockout.js';
import { ShutdownState } from '../core/shutdown/shutdown-state.js';

type LoginAttempt = Awaited<ReturnType<LoginLockout['begin']>>;

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase';

function makeCollaborators() {
  return {
    users: {
      findByEmail: vi.fn<UsersService['findByEmail']>(),
      getUser: vi.fn<UsersService['getUser']>(),
      setPassword: vi.fn<UsersService['setPassword']>(),
      endPendingEmailChange: vi.fn<UsersService['endPendingEmailChange']>(),
    },
    userTokens: {
      peek: vi.fn<UserTokensService['peek']>(),
      consume: vi.fn<UserTokensService['consume']>(),
      issue: vi.fn<UserTokensService['issue']>(),
    },
    sessions: {
      start: vi.fn<SessionsService['start']>(),
      revokeAll: vi.fn<SessionsService['revokeAll']>(),
    },
    events: { record: vi.fn<SecurityEventsRepository['record']>() },
    mailer: { send: vi.fn<Mailer['send']>() },
    lockout: { begin: vi.fn<LoginLockout['begin']>() },
    devices: { issue: vi.fn<DeviceTokens['issue']>() },
    passwords: { confirm: vi.fn<PasswordConfirmations['confirm']>() },
    attempt: {
      release: vi.fn<LoginAttempt['release']>(),
      countFailure: vi.fn<LoginAttempt['countFailure']>(),
    },
  };
}

describe(AuthService.name, () => {
  const client = makeClient();
  let passwordHash: string;
  let deps: ReturnType<typeof makeCollaborators>;
  let shutdown: ShutdownState;
  let sut: AuthService;

  beforeAll(async () => {
    passwordHash = await hashPassword(PASSWORD);
  });

  beforeEach(() => {
    deps = makeCollaborators();
    shutdown = new ShutdownState();
    deps.lockout.begin.mockResolvedValue(deps.attempt as unknown as LoginAttempt);
    deps.attempt.release.mockResolvedValue(undefined);
    deps.attempt.countFailure.mockReturnValue([]);
    deps.events.record.mockResolvedValue(undefined);
    deps.mailer.send.mockResolvedValue(undefined);
    deps.sessions.revokeAll.mockResolvedValue(1);
    sut = new AuthService(
      deps.users as unknown as UsersService,
      deps.userTokens as unknown as UserTokensService,
      deps.sessions as unknown as SessionsService,
      deps.events as unknown as SecurityEventsRepository,
      deps.mailer as unknown as Mailer,
      makeConfig(),
      deps.lockout as unknown as LoginLockout,
      deps.devices as unknown as DeviceTokens,
      deps.passwords as unknown as PasswordConfirmations,
      shutdown,
    );
  });

  describe('verifyCredentials', () => {
    function givenAccount(overrides: Partial<User> = {}): User {
      const user = makeUser({ passwordHash, ...overrides });
      deps.users.findByEmail.mockResolvedValue(user);
      return user;
    }

    it('charges the lockout for the normalised login before the check, and releases it on success', async () => {
      const user = givenAccount({ role: 'ADMIN' });

      const verified = await sut.verifyCredentials(' Owner@Example.com ', PASSWORD, client, 'device-token');

      expect(verified).toEqual({ id: user.id, role: 'ADMIN', login: 'owner@example.com' });
      expect(deps.lockout.begin).toHaveBeenCalledWith({
        login: 'owner@example.com',
        ip: client.ip,
        deviceToken: 'device-token',
      });
      expect(deps.users.findByEmail).toHaveBeenCalledWith('owner@example.com');
      expect(deps.attempt.release).toHaveBeenCalledTimes(1);
      expect(deps.attempt.countFailure).not.toHaveBeenCalled();
      expect(deps.events.record).not.toHaveBeenCalled();
    });

    it('keeps the charge for a wrong password and records the failure, with no actor (ASVS 5.0 16.3.1)', async () => {
      const user = givenAccount();

      await expect(sut.verifyCredentials(user.email, 'wrong password', client, undefined)).rejects.toThrow(
        InvalidCredentialsError,
      );
      expect(deps.attempt.countFailure).toHaveBeenCalledTimes(1);
      expect(deps.attempt.release).not.toHaveBeenCalled();
      expect(deps.events.record).toHaveBeenCalledTimes(1);
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.LoginFailed,
        userId: user.id,
        actorId: null,
        client,
        details: { reason: 'wrong_password' },
      });
    });

    it('fails an unknown email alike, charged the same, with no user on the event', async () => {
      deps.users.findByEmail.mockResolvedValue(null);

      await expect(sut.verifyCredentials('nobody@example.com', PASSWORD, client, undefined)).rejects.toThrow(
        InvalidCredentialsError,
      );
      expect(deps.attempt.countFailure).toHaveBeenCalledTimes(1);
      expect(deps.attempt.release).not.toHaveBeenCalled();
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.LoginFailed,
        userId: undefined,
        actorId: null,
        client,
        details: { reason: 'unknown_email' },
      });
    });

    it('records a lockout for every scope the failure used up', async () => {
      const user = givenAccount();
      deps.attempt.countFailure.mockReturnValue(['account_ip', 'account']);

      await expect(sut.verifyCredentials(user.email, 'wrong password', client, undefined)).rejects.toThrow(
        InvalidCredentialsError,
      );
      expect(deps.events.record.mock.calls.map(([event]) => [event.type, event.actorId, event.details])).toEqual([
        [SecurityEventType.LoginFailed, null, { reason: 'wrong_password' }],
        [SecurityEventType.LoginLockedOut, null, { scope: 'account_ip' }],
        [SecurityEventType.LoginLockedOut, null, { scope: 'account' }],
      ]);
    });

    it('refuses a deleted account even with its password, as a counted failure', async () => {
      const user = givenAccount({ status: 'DELETED' });

      await expect(sut.verifyCredentials(user.email, PASSWORD, client, undefined)).rejects.toThrow(
        InvalidCredentialsError,
      );
      expect(deps.attempt.countFailure).toHaveBeenCalledTimes(1);
      expect(deps.attempt.release).not.toHaveBeenCalled();
    });

    it('releases the charge for a disabled account’s right password, then refuses it as disabled', async () => {
      const user = givenAccount({ status: 'DISABLED' });

      await expect(sut.verifyCredentials(user.email, PASSWORD, client, undefined)).rejects.toThrow(
        AccountDisabledError,
      );
      expect(deps.attempt.release).toHaveBeenCalledTimes(1);
      expect(deps.attempt.countFailure).not.toHaveBeenCalled();
    });

    it('releases the charge when the lookup fails (the password was never checked) and rethrows', async () => {
      const failure = new Error('database down');
      deps.users.findByEmail.mockRejectedValue(failure);

      await expect(sut.verifyCredentials('owner@example.com', PASSWORD, client, undefined)).rejects.toBe(failure);
      expect(deps.attempt.release).toHaveBeenCalledTimes(1);
      expect(deps.attempt.countFailure).not.toHaveBeenCalled();
      expect(deps.events.record).not.toHaveBeenCalled();
    });
  });

  describe('login', () => {
    it('starts a session, records the sign-in and issues a device token for the login', async () => {
      const tokens = { accessToken: 'a', refreshToken: 'r', expiresIn: 900 };
      const device = { token: 'device', maxAgeSeconds: 60 };
      deps.sessions.start.mockResolvedValue(tokens);
      deps.devices.issue.mockReturnValue(device);
      const credentials = { id: 'user-1', role: 'USER' as const, login: 'owner@example.com' };

      await expect(sut.login(credentials, client)).resolves.toEqual({ tokens, device });
      expect(deps.sessions.start).toHaveBeenCalledWith(credentials, client);
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.LoginSucceeded,
        userId: 'user-1',
        actorId: 'user-1',
        client,
      });
      expect(deps.devices.issue).toHaveBeenCalledWith('owner@example.com');
    });
  });

  describe('logoutAll', () => {
    it('revokes every session and ends a pending email change', async () => {
      deps.users.endPendingEmailChange.mockResolvedValue(undefined);

      await sut.logoutAll({ id: 'user-1', sessionId: 'session-1', role: 'USER' }, client);

      expect(deps.sessions.revokeAll).toHaveBeenCalledWith('user-1', SessionRevocationReason.LogoutAll, {
        client,
        actorId: 'user-1',
      });
      expect(deps.users.endPendingEmailChange).toHaveBeenCalledWith('user-1');
    });
  });

  describe('forgotPassword', () => {
    it('answers before the email is sent, and counts the sending as work shutdown waits for', async () => {
      deps.users.findByEmail.mockResolvedValue(makeUser({ passwordHash, email: 'owner@example.com' }));
      deps.userTokens.issue.mockResolvedValue('token');
      let delivered = (): void => undefined;
      deps.mailer.send.mockReturnValue(new Promise<void>((resolve) => (delivered = resolve)));

      sut.forgotPassword('owner@example.com', client);
      expect(shutdown.inFlight).toBe(1);
      await vi.waitFor(() => expect(deps.mailer.send).toHaveBeenCalled());
      delivered();

      await expect(shutdown.settled(1_000)).resolves.toBe(0);
    });
  });

  describe('resetPassword', () => {
    function givenResetLink(account: Partial<User>, sentTo = 'owner@example.com') {
      const user = makeUser({ email: 'owner@example.com', ...account });
      const record = makeUserToken({ userId: user.id, purpose: 'PASSWORD_RESET', email: sentTo });
      deps.userTokens.peek.mockResolvedValue(record);
      deps.userTokens.consume.mockResolvedValue(record);
      deps.users.getUser.mockResolvedValue(user);
      deps.users.setPassword.mockResolvedValue(user);
      return user;
    }

    function expectNothingChanged() {
      expect(deps.userTokens.consume).not.toHaveBeenCalled();
      expect(deps.users.setPassword).not.toHaveBeenCalled();
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    }

    it('sets the new password, uses the link up, ends every session and notifies the owner', async () => {
      const user = givenResetLink({});

      await sut.resetPassword('reset-token', NEW_PASSWORD, client);

      expect(deps.userTokens.peek).toHaveBeenCalledWith('reset-token', ['PASSWORD_RESET']);
      expect(deps.userTokens.consume).toHaveBeenCalledWith('reset-token', ['PASSWORD_RESET']);
      const [userId, storedHash] = deps.users.setPassword.mock.calls[0]!;
      expect(userId).toBe(user.id);
      await expect(verifyPassword(storedHash, NEW_PASSWORD)).resolves.toBe(true);
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith(user.id, SessionRevocationReason.PasswordReset, {
        client,
        actorId: user.id,
      });
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.PasswordReset,
        userId: user.id,
        actorId: user.id,
        client,
      });
      expect(deps.mailer.send).toHaveBeenCalledWith(expect.objectContaining({ to: user.email }));
    });

    it('refuses a link sent to an address the account no longer has, leaving it unused', async () => {
      givenResetLink({ email: 'moved@example.com' }, 'owner@example.com');

      await expect(sut.resetPassword('reset-token', NEW_PASSWORD, client)).rejects.toThrow(InvalidUserTokenError);
      expectNothingChanged();
    });

    it.each(['DISABLED', 'DELETED'] as const)('refuses a link for a %s account', async (status) => {
      givenResetLink({ status });

      await expect(sut.resetPassword('reset-token', NEW_PASSWORD, client)).rejects.toThrow(InvalidUserTokenError);
      expectNothingChanged();
    });

    it('refuses a password the policy rejects, naming newPassword, and leaves the link usable', async () => {
      givenResetLink({});

      const reset = sut.resetPassword('reset-token', 'short', client);

      await expect(reset).rejects.toThrow(ValidationFailedError);
      await expect(reset).rejects.toMatchObject({ extensions: { errors: [{ field: 'newPassword' }] } });
      expectNothingChanged();
    });
  });

  describe('changePassword', () => {
    const caller = { id: 'user-1', sessionId: 'session-1', role: 'USER' as const };

    it('refuses a wrong current password, checked through PasswordConfirmations', async () => {
      const user = makeUser({ id: caller.id });
      deps.users.getUser.mockResolvedValue(user);
      deps.passwords.confirm.mockResolvedValue(false);

      await expect(sut.changePassword(caller, 'wrong', NEW_PASSWORD, client)).rejects.toThrow(IncorrectPasswordError);
      expect(deps.passwords.confirm).toHaveBeenCalledWith(user.id, user.passwordHash, 'wrong');
      expect(deps.users.setPassword).not.toHaveBeenCalled();
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    });

    it('sets the new password and ends every session but the caller’s', async () => {
      const user = makeUser({ id: caller.id });
      deps.users.getUser.mockResolvedValue(user);
      deps.users.setPassword.mockResolvedValue(user);
      deps.passwords.confirm.mockResolvedValue(true);

      await sut.changePassword(caller, PASSWORD, NEW_PASSWORD, client);

      expect(deps.users.setPassword).toHaveBeenCalledWith(user.id, expect.stringMatching(/^\$argon2/));
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith(user.id, SessionRevocationReason.PasswordChanged, {
        exceptSessionId: caller.sessionId,
        client,
        actorId: user.id,
      });
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.PasswordChanged,
        userId: user.id,
        actorId: user.id,
        sessionId: caller.sessionId,
        client,
      });
    });
  });
});
