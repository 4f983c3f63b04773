import { ApiKeyRevocationReason, type ApiKeysService } from '../api-keys/api-keys.service.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppCache } from '@app/redis';
import { ValidationFailedError } from '@app/common';
import { UserTokenPurpose, type User } from '@app/database';
import { makeClient, makeConfig, makeUser, makeUserToken } from '../../../../test/utils/builders.js';
import {
  SecurityEventType,
  type SecurityEventInput,
  type SecurityEventsRepository,
} from '../audit/security-events.repository.js';
import type { PasswordConfirmations } from '../iam/password-confirmations.js';
import type { Mailer } from '../mail/mailer.service.js';
import { SessionRevocationReason, type SessionsService } from '../sessions/sessions.service.js';
import type { UserTokenRecord } from './user-tokens.repository.js';
import type { UserTokensService } from './user-tokens.service.js';
import {
  EmailTakenError,
  IncorrectPasswordError,
  LastAdminError,
  SelfAdministrationError,
  UserNotFoundError,
} from './users.errors.js';
import { NoActiveAdminLeft, UniqueEmailViolation, type UsersRepository } from './users.repository.js';
import { toUserResponse } from './users.responses.js';
import { UsersService } from './users.service.js';

const { PASSWORD_RESET, EMAIL_VERIFICATION, EMAIL_CHANGE, EMAIL_CHANGE_CANCEL } = UserTokenPurpose;

function makeCollaborators() {
  return {
    users: {
      findById: vi.fn<UsersRepository['findById']>(),
      findByEmail: vi.fn<UsersRepository['findByEmail']>(),
      emailInUse: vi.fn<UsersRepository['emailInUse']>(),
      create: vi.fn<UsersRepository['create']>(),
      update: vi.fn<UsersRepository['update']>(),
      list: vi.fn<UsersRepository['list']>(),
    },
    tokens: {
      issue: vi.fn<UserTokensService['issue']>(),
      peek: vi.fn<UserTokensService['peek']>(),
      consume: vi.fn<UserTokensService['consume']>(),
      retireIssuedAfter: vi.fn<UserTokensService['retireIssuedAfter']>(),
    },
    sessions: { revokeAll: vi.fn<SessionsService['revokeAll']>() },
    apiKeys: { revokeAll: vi.fn<ApiKeysService['revokeAll']>() },
    events: { record: vi.fn<SecurityEventsRepository['record']>() },
    cache: {
      key: vi.fn((module: string, ...parts: Array<string | number>) => [module, ...parts].join(':')),
      getOrSet: vi.fn<AppCache['getOrSet']>(),
      del: vi.fn<AppCache['del']>(),
    },
    mailer: { send: vi.fn<Mailer['send']>() },
    passwords: { confirm: vi.fn<PasswordConfirmations['confirm']>() },
  };
}

describe(UsersService.name, () => {
  const client = makeClient();
  let deps: ReturnType<typeof makeCollaborators>;
  let sut: UsersService;

  beforeEach(() => {
    deps = makeCollaborators();
    deps.users.emailInUse.mockResolvedValue(false);
    deps.tokens.retireIssuedAfter.mockResolvedValue(undefined);
    deps.sessions.revokeAll.mockResolvedValue(1);
    deps.apiKeys.revokeAll.mockResolvedValue(undefined);
    deps.events.record.mockResolvedValue(undefined);
    deps.cache.del.mockResolvedValue(undefined);
    deps.mailer.send.mockResolvedValue(undefined);
    sut = new UsersService(
      deps.users as unknown as UsersRepository,
      deps.tokens as unknown as UserTokensService,
      deps.sessions as unknown as SessionsService,
      deps.events as unknown as SecurityEventsRepository,
      deps.cache as unknown as AppCache,
      deps.mailer as unknown as Mailer,
      deps.passwords as unknown as PasswordConfirmations,
      makeConfig(),
      deps.apiKeys as unknown as ApiKeysService,
    );
  });

  /** The repository answers `user` for reads and the written changes applied to it for updates. */
  function given(user: ReturnType<typeof makeUser>) {
    deps.users.findById.mockResolvedValue(user);
    deps.users.update.mockImplementation(async (_id, changes) => ({ ...user, ...changes }) as typeof user);
    return user;
  }

  /** The deletion ended every session of `userId` and was recorded, both with `actorId` as who did it. */
  function expectDeletionRecorded(userId: string, actorId: string) {
    expect(deps.sessions.revokeAll).toHaveBeenCalledWith(userId, SessionRevocationReason.UserDeleted, {
      client,
      actorId,
    });
    expect(deps.apiKeys.revokeAll).toHaveBeenCalledWith(userId, ApiKeyRevocationReason.UserDeleted, {
      client,
      actorId,
    });
    expect(deps.events.record).toHaveBeenCalledWith({ type: SecurityEventType.UserDeleted, userId, actorId, client });
  }

  describe('updateMe', () => {
    it('renames without asking for the password, and invalidates the cached `me`', async () => {
      const user = given(makeUser());

      const result = await sut.updateMe(user.id, { name: 'Renamed' }, client);

      expect(result.name).toBe('Renamed');
      expect(deps.passwords.confirm).not.toHaveBeenCalled();
      expect(deps.users.update).toHaveBeenCalledWith(user.id, { name: 'Renamed' }, {});
      expect(deps.cache.del).toHaveBeenCalledWith(`users:me:${user.id}`);
    });

    it('refuses an email change without currentPassword, before checking or writing anything', async () => {
      const user = given(makeUser());

      const update = sut.updateMe(user.id, { email: 'new@example.com' }, client);

      await expect(update).rejects.toThrow(ValidationFailedError);
      await expect(update).rejects.toMatchObject({
        extensions: {
          errors: [{ field: 'currentPassword', message: 'currentPassword is required to change the email' }],
        },
      });
      expect(deps.passwords.confirm).not.toHaveBeenCalled();
      expect(deps.users.update).not.toHaveBeenCalled();
    });

    it('checks currentPassword through PasswordConfirmations and refuses a wrong one', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(false);

      await expect(
        sut.updateMe(user.id, { email: 'new@example.com', currentPassword: 'wrong' }, client),
      ).rejects.toThrow(IncorrectPasswordError);
      expect(deps.passwords.confirm).toHaveBeenCalledWith(user.id, user.passwordHash, 'wrong');
      expect(deps.users.emailInUse).not.toHaveBeenCalled();
      expect(deps.users.update).not.toHaveBeenCalled();
    });

    it('throws USER_EMAIL_TAKEN for an address another account holds', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(true);
      deps.users.emailInUse.mockResolvedValue(true);

      await expect(
        sut.updateMe(user.id, { email: ' Taken@Example.com ', currentPassword: 'right' }, client),
      ).rejects.toThrow(EmailTakenError);
      expect(deps.users.emailInUse).toHaveBeenCalledWith('taken@example.com', user.id);
      expect(deps.users.update).not.toHaveBeenCalled();
      expect(deps.mailer.send).not.toHaveBeenCalled();
    });

    it('maps a unique-email violation on the write (a race) to USER_EMAIL_TAKEN', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(true);
      deps.users.update.mockRejectedValue(new UniqueEmailViolation());

      await expect(
        sut.updateMe(user.id, { email: 'new@example.com', currentPassword: 'right' }, client),
      ).rejects.toThrow(EmailTakenError);
      expect(deps.cache.del).toHaveBeenCalledWith(`users:me:${user.id}`);
    });

    it('stores the new address as pending and mails the cancel notice to the old address first', async () => {
      const user = given(makeUser({ email: 'old@example.com' }));
      deps.passwords.confirm.mockResolvedValue(true);
      deps.tokens.issue.mockResolvedValueOnce('confirm-token').mockResolvedValueOnce('cancel-token');

      const result = await sut.updateMe(user.id, { email: 'New@Example.com', currentPassword: 'right' }, client);

      expect(result.email).toBe('old@example.com');
      expect(deps.users.update).toHaveBeenCalledTimes(1);
      expect(deps.users.update).toHaveBeenCalledWith(user.id, { pendingEmail: 'new@example.com' }, {});
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.EmailChangeRequested,
        userId: user.id,
        actorId: user.id,
        client,
      });
      const ttl = makeConfig().auth.emailVerificationTtlSeconds;
      expect(deps.tokens.issue.mock.calls).toEqual([
        [user.id, EMAIL_CHANGE, 'new@example.com', ttl],
        [user.id, EMAIL_CHANGE_CANCEL, 'old@example.com', ttl, { keepEarlier: true }],
      ]);
      expect(deps.mailer.send.mock.calls.map(([mail]) => mail.to)).toEqual(['old@example.com', 'new@example.com']);
    });

    it('ends the pending change again when the mail fails, and rethrows', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(true);
      deps.tokens.issue.mockResolvedValue('token');
      const failure = new Error('SMTP down');
      deps.mailer.send.mockRejectedValue(failure);

      await expect(sut.updateMe(user.id, { email: 'new@example.com', currentPassword: 'right' }, client)).rejects.toBe(
        failure,
      );
      expect(deps.users.update).toHaveBeenLastCalledWith(
        user.id,
        { pendingEmail: null },
        { retireTokens: [EMAIL_CHANGE] },
      );
    });

    it('cancels a pending change when asked for the current address, without mailing', async () => {
      const user = given(makeUser({ email: 'owner@example.com', pendingEmail: 'new@example.com' }));
      deps.passwords.confirm.mockResolvedValue(true);

      await sut.updateMe(user.id, { email: 'owner@example.com', currentPassword: 'right' }, client);

      expect(deps.users.update).toHaveBeenCalledWith(user.id, { pendingEmail: null }, { retireTokens: [EMAIL_CHANGE] });
      expect(deps.users.emailInUse).not.toHaveBeenCalled();
      expect(deps.tokens.issue).not.toHaveBeenCalled();
      expect(deps.mailer.send).not.toHaveBeenCalled();
    });

    it('throws USER_NOT_FOUND for an unknown user', async () => {
      deps.users.findById.mockResolvedValue(null);

      await expect(sut.updateMe('missing', { name: 'x' }, client)).rejects.toThrow(UserNotFoundError);
    });
  });

  describe('deleteMe', () => {
    it('refuses a wrong password and leaves the account alone', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(false);

      await expect(sut.deleteMe(user.id, 'wrong', client)).rejects.toThrow(IncorrectPasswordError);
      expect(deps.passwords.confirm).toHaveBeenCalledWith(user.id, user.passwordHash, 'wrong');
      expect(deps.users.update).not.toHaveBeenCalled();
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    });

    it('scrubs the personal data, retires every link, keeps an admin, and ends every session', async () => {
      const user = given(makeUser());
      deps.passwords.confirm.mockResolvedValue(true);

      await sut.deleteMe(user.id, 'right', client);

      expect(deps.users.update).toHaveBeenCalledWith(
        user.id,
        expect.objectContaining({
          status: 'DELETED',
          email: `DELETED+${user.id}@deleted.invalid`,
          name: 'Deleted user',
          pendingEmail: null,
          passwordHash: '!deleted',
        }),
        { retireTokens: Object.values(UserTokenPurpose), keepAnActiveAdmin: true },
      );
      expectDeletionRecorded(user.id, user.id);
    });
  });

  describe('adminUpdate', () => {
    const actor = { id: 'admin-1', sessionId: 'session-1', role: 'ADMIN' as const };

    it('refuses an administrator changing their own account', async () => {
      await expect(sut.adminUpdate(actor, actor.id, { role: 'USER' }, client)).rejects.toThrow(SelfAdministrationError);
      expect(deps.users.findById).not.toHaveBeenCalled();
    });

    it('maps the repository’s last-active-admin refusal to LAST_ADMIN and signs no one out', async () => {
      const admin = given(makeUser({ role: 'ADMIN' }));
      deps.users.update.mockRejectedValue(new NoActiveAdminLeft());

      await expect(sut.adminUpdate(actor, admin.id, { role: 'USER' }, client)).rejects.toThrow(LastAdminError);
      expect(deps.users.update).toHaveBeenCalledWith(admin.id, { role: 'USER' }, { keepAnActiveAdmin: true });
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
      expect(deps.events.record).not.toHaveBeenCalled();
    });

    it('a role change signs the user out everywhere and records from and to', async () => {
      const user = given(makeUser({ role: 'USER' }));

      const result = await sut.adminUpdate(actor, user.id, { role: 'ADMIN' }, client);

      expect(result.role).toBe('ADMIN');
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith(user.id, SessionRevocationReason.RoleChanged, {
        client,
        actorId: actor.id,
      });
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.RoleChanged,
        userId: user.id,
        actorId: actor.id,
        client,
        details: { from: 'USER', to: 'ADMIN' },
      });
    });

    it('disabling ends the pending email change, retires reset links and signs the user out', async () => {
      const user = given(makeUser());

      await sut.adminUpdate(actor, user.id, { status: 'DISABLED' }, client);

      expect(deps.users.update).toHaveBeenCalledWith(
        user.id,
        { status: 'DISABLED', pendingEmail: null },
        { keepAnActiveAdmin: true, retireTokens: [PASSWORD_RESET, EMAIL_CHANGE] },
      );
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith(user.id, SessionRevocationReason.UserDisabled, {
        client,
        actorId: actor.id,
      });
      expect(deps.apiKeys.revokeAll).toHaveBeenCalledWith(user.id, ApiKeyRevocationReason.UserDisabled, {
        client,
        actorId: actor.id,
      });
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.UserDisabled,
        userId: user.id,
        actorId: actor.id,
        client,
      });
    });

    it('records enabling an account with the administrator as actor and the user as target', async () => {
      const user = given(makeUser({ status: 'DISABLED' }));

      await sut.adminUpdate(actor, user.id, { status: 'ACTIVE' }, client);

      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.UserEnabled,
        userId: user.id,
        actorId: actor.id,
        client,
      });
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    });

    it('writes nothing when nothing changes', async () => {
      const user = given(makeUser({ role: 'USER', status: 'ACTIVE' }));

      await sut.adminUpdate(actor, user.id, { role: 'USER', status: 'ACTIVE' }, client);

      expect(deps.users.update).not.toHaveBeenCalled();
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    });

    it('treats a deleted account as not found', async () => {
      const user = given(makeUser({ status: 'DELETED' }));

      await expect(sut.adminUpdate(actor, user.id, { role: 'ADMIN' }, client)).rejects.toThrow(UserNotFoundError);
      expect(deps.users.update).not.toHaveBeenCalled();
    });
  });

  describe('adminDelete', () => {
    const actor = { id: 'admin-1', sessionId: 'session-1', role: 'ADMIN' as const };

    it('records the administrator as the actor of the deletion and of the sign-out everywhere', async () => {
      const user = given(makeUser());

      await sut.adminDelete(actor, user.id, client);

      expectDeletionRecorded(user.id, actor.id);
    });
  });

  describe('create', () => {
    it('stores the normalised address', async () => {
      const created = makeUser({ email: 'new@example.com' });
      deps.users.create.mockResolvedValue(created);

      await expect(sut.create({ email: ' New@Example.com', name: 'New', passwordHash: 'h' })).resolves.toEqual(
        toUserResponse(created),
      );
      expect(deps.users.emailInUse).toHaveBeenCalledWith('new@example.com');
      expect(deps.users.create).toHaveBeenCalledWith({ email: 'new@example.com', name: 'New', passwordHash: 'h' });
    });

    it('throws USER_EMAIL_TAKEN for a held address, and for a unique violation on insert', async () => {
      deps.users.emailInUse.mockResolvedValueOnce(true);
      await expect(sut.create({ email: 'a@example.com', name: 'A', passwordHash: 'h' })).rejects.toThrow(
        EmailTakenError,
      );
      expect(deps.users.create).not.toHaveBeenCalled();

      deps.users.create.mockRejectedValue(new UniqueEmailViolation());
      await expect(sut.create({ email: 'a@example.com', name: 'A', passwordHash: 'h' })).rejects.toThrow(
        EmailTakenError,
      );
    });
  });

  describe('cancelEmailChange', () => {
    const links = [PASSWORD_RESET, EMAIL_VERIFICATION, EMAIL_CHANGE];

    /** An account at `email` holding a cancel link mailed to owner@example.com. */
    function givenCancelLink(email: string, pendingEmail: string | null = null) {
      const user = given(makeUser({ email, pendingEmail }));
      const pending = makeUserToken({ userId: user.id, purpose: EMAIL_CHANGE_CANCEL, email: 'owner@example.com' });
      deps.tokens.peek.mockResolvedValue(pending);
      deps.tokens.consume.mockResolvedValue(pending);
      return { user, pending };
    }

    /** Later cancel links retired, every session ended, the cancellation recorded with `details`. */
    function expectAccountSecured(user: User, pending: UserTokenRecord, details: SecurityEventInput['details']) {
      expect(deps.tokens.retireIssuedAfter).toHaveBeenCalledWith(pending);
      expect(deps.sessions.revokeAll).toHaveBeenCalledTimes(1);
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith(user.id, SessionRevocationReason.EmailChangeCancelled, {
        client,
        actorId: user.id,
      });
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.EmailChangeCancelled,
        userId: user.id,
        actorId: user.id,
        client,
        details,
      });
    }

    it('ends a pending change: consumes the link, retires later ones, revokes every session', async () => {
      const { user, pending } = givenCancelLink('owner@example.com', 'thief@example.com');

      await sut.cancelEmailChange('cancel-token', client);

      expect(deps.tokens.peek).toHaveBeenCalledWith('cancel-token', [EMAIL_CHANGE_CANCEL]);
      expect(deps.users.update).toHaveBeenCalledTimes(1);
      expect(deps.users.update).toHaveBeenCalledWith(user.id, { pendingEmail: null }, { retireTokens: links });
      expect(deps.tokens.consume).toHaveBeenCalledWith('cancel-token', [EMAIL_CHANGE_CANCEL]);
      expectAccountSecured(user, pending, { reverted: false });
    });

    it('reverts a change confirmed since: the account gets the old address back, verified', async () => {
      const { user, pending } = givenCancelLink('thief@example.com');

      await sut.cancelEmailChange('cancel-token', client);

      expect(deps.users.update).toHaveBeenCalledWith(
        user.id,
        { email: 'owner@example.com', emailVerifiedAt: expect.any(Date), pendingEmail: null },
        { retireTokens: links },
      );
      expect(deps.tokens.consume).toHaveBeenCalledWith('cancel-token', [EMAIL_CHANGE_CANCEL]);
      expectAccountSecured(user, pending, { reverted: true, from: 'thief@example.com' });
    });

    it('on an old address another account took: still retires links, revokes sessions, keeps the link, throws', async () => {
      const { user, pending } = givenCancelLink('thief@example.com');
      deps.users.update.mockRejectedValueOnce(new UniqueEmailViolation());

      await expect(sut.cancelEmailChange('cancel-token', client)).rejects.toThrow(EmailTakenError);

      expect(deps.users.update).toHaveBeenCalledTimes(2);
      expect(deps.users.update).toHaveBeenLastCalledWith(user.id, { pendingEmail: null }, { retireTokens: links });
      expect(deps.tokens.consume).not.toHaveBeenCalled();
      expectAccountSecured(user, pending, { reverted: false, from: 'thief@example.com' });
    });

    it('rethrows any other failure without revoking or consuming', async () => {
      givenCancelLink('thief@example.com');
      const failure = new Error('database down');
      deps.users.update.mockRejectedValue(failure);

      await expect(sut.cancelEmailChange('cancel-token', client)).rejects.toBe(failure);
      expect(deps.tokens.consume).not.toHaveBeenCalled();
      expect(deps.sessions.revokeAll).not.toHaveBeenCalled();
    });
  });
});
