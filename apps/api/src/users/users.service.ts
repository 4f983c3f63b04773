import { Injectable } from '@nestjs/common';
import { AppCache } from '@app/redis';
import { AppConfig } from '@app/config';
import { normalizeEmail, toPage, ValidationFailedError, type Page } from '@app/common';
import { UserTokenPurpose, type User } from '@app/database';
import { ApiKeyRevocationReason, ApiKeysService } from '../api-keys/api-keys.service.js';
import { SecurityEventsRepository, SecurityEventType } from '../audit/security-events.repository.js';
import type { AuthUser, ClientInfo } from '../iam/auth-user.js';
import { PasswordConfirmations } from '../iam/password-confirmations.js';
import { emailChangeMail, emailChangeNoticeMail, emailVerificationMail } from '../mail/mail-templates.js';
import { Mailer } from '../mail/mailer.service.js';
import { SessionRevocationReason, SessionsService } from '../sessions/sessions.service.js';
import type { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { USER_KEYSETS, type ListUsersQueryDto } from './dto/list-users-query.dto.js';
import type { UpdateMeDto } from './dto/update-me.dto.js';
import type { AdminUserResponseDto, UserResponseDto } from './dto/user-response.dto.js';
import { UserTokensService } from './user-tokens.service.js';
import {
  EmailAlreadyVerifiedError,
  EmailTakenError,
  IncorrectPasswordError,
  LastAdminError,
  SelfAdministrationError,
  UserNotFoundError,
} from './users.errors.js';
import {
  NoActiveAdminLeft,
  UniqueEmailViolation,
  UsersRepository,
  type UserChanges,
  type UserWriteOptions,
} from './users.repository.js';
import { toAdminUserResponse, toUserResponse } from './users.responses.js';

const ME_CACHE_TTL_SECONDS = 300;

/**
 * The address a deleted account is left with: it frees the account's own address for a new
 * account and keeps nothing personal. No other account can hold it, whatever rows exist: every
 * address that enters is lower-cased, so none has these capitals (not even one registered as
 * `deleted+<id>@deleted.invalid` before `.invalid` was refused), and ids are unique.
 */
function deletedAccountEmail(userId: string): string {
  return `DELETED+${userId}@deleted.invalid`;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: UserTokensService,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEventsRepository,
    private readonly cache: AppCache,
    private readonly mailer: Mailer,
    private readonly passwords: PasswordConfirmations,
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** Served from the cache; every write below invalidates it. */
  getMe(userId: string): Promise<UserResponseDto> {
    return this.cache.getOrSet(this.meKey(userId), ME_CACHE_TTL_SECONDS, async () =>
      toUserResponse(await this.require(userId)),
    );
  }

  /**
   * A new email needs the current password (a stolen access token alone can't move the account),
   * is stored as pending, and is confirmed from the new address; the old address gets a notice
   * with a link that cancels the change.
   */
  async updateMe(userId: string, changes: UpdateMeDto, client: ClientInfo): Promise<UserResponseDto> {
    const user = await this.require(userId);
    if (changes.email !== undefined && changes.currentPassword === undefined) {
      throw new ValidationFailedError([
        { field: 'currentPassword', message: 'currentPassword is required to change the email' },
      ]);
    }
    if (
      changes.currentPassword !== undefined &&
      !(await this.passwords.confirm(userId, user.passwordHash, changes.currentPassword))
    ) {
      throw new IncorrectPasswordError('currentPassword');
    }
    const nameChange: UserChanges = changes.name === undefined ? {} : { name: changes.name };
    const newEmail = changes.email === undefined ? undefined : normalizeEmail(changes.email);
    if (newEmail === undefined) return toUserResponse(await this.write(userId, nameChange));
    // Asking for the current address cancels a pending change.
    if (newEmail === user.email) return toUserResponse(await this.writeEndingEmailChange(userId, nameChange));

    if (await this.users.emailInUse(newEmail, userId)) throw new EmailTakenError();
    const updated = await this.write(userId, { ...nameChange, pendingEmail: newEmail });
    await this.events.record({ type: SecurityEventType.EmailChangeRequested, userId, actorId: userId, client });
    try {
      await this.mailEmailChange(updated, newEmail);
    } catch (error) {
      // Without the notice to the old address, the change must not be confirmable.
      await this.writeEndingEmailChange(userId);
      throw error;
    }
    return toUserResponse(updated);
  }

  /** Soft delete: the row stays for referential history, the personal data goes. */
  async deleteMe(userId: string, password: string, client: ClientInfo): Promise<void> {
    const user = await this.require(userId);
    if (!(await this.passwords.confirm(userId, user.passwordHash, password))) throw new IncorrectPasswordError();
    await this.scrubAndDelete(user, client, user.id);
  }

  async list(query: ListUsersQueryDto): Promise<Page<AdminUserResponseDto>> {
    const rows = await this.users.list({ ...query, take: query.limit + 1 });
    const page = toPage(rows, query.limit, USER_KEYSETS[query.sort]);
    return { items: page.items.map(toAdminUserResponse), nextCursor: page.nextCursor };
  }

  async getById(id: string): Promise<AdminUserResponseDto> {
    return toAdminUserResponse(await this.require(id));
  }

  /** Role and status changes sign the user out everywhere, at once; disabling revokes the user's API keys too. */
  async adminUpdate(
    actor: AuthUser,
    id: string,
    changes: AdminUpdateUserDto,
    client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    if (actor.id === id) throw new SelfAdministrationError();
    const user = await this.require(id);
    if (user.status === 'DELETED') throw new UserNotFoundError();
    const update: UserChanges = {};
    if (changes.role !== undefined && changes.role !== user.role) update.role = changes.role;
    if (changes.status !== undefined && changes.status !== user.status) update.status = changes.status;
    if (Object.keys(update).length === 0) return toAdminUserResponse(user);

    // Role and status changes are the ones that can remove the last active administrator. A
    // disabled account's reset links go too: none may set a password it can't sign in with.
    const guard: UserWriteOptions = { keepAnActiveAdmin: true };
    if (update.status === 'DISABLED') guard.retireTokens = [UserTokenPurpose.PASSWORD_RESET];
    const updated =
      update.status === 'DISABLED'
        ? await this.writeEndingEmailChange(id, update, guard)
        : await this.write(id, update, guard);
    // The administrator is the actor of every event this change records, the user its target.
    const recorded = { userId: id, actorId: actor.id, client };
    if (update.status === 'DISABLED') {
      await this.sessions.revokeAll(id, SessionRevocationReason.UserDisabled, { client, actorId: actor.id });
      await this.apiKeys.revokeAll(id, ApiKeyRevocationReason.UserDisabled, { client, actorId: actor.id });
      await this.events.record({ type: SecurityEventType.UserDisabled, ...recorded });
    } else if (update.status === 'ACTIVE') {
      await this.events.record({ type: SecurityEventType.UserEnabled, ...recorded });
    }
    if (update.role !== undefined) {
      await this.sessions.revokeAll(id, SessionRevocationReason.RoleChanged, { client, actorId: actor.id });
      await this.events.record({
        type: SecurityEventType.RoleChanged,
        ...recorded,
        details: { from: user.role, to: update.role },
      });
    }
    return toAdminUserResponse(updated);
  }

  async adminDelete(actor: AuthUser, id: string, client: ClientInfo): Promise<void> {
    if (actor.id === id) throw new SelfAdministrationError();
    const user = await this.require(id);
    if (user.status === 'DELETED') throw new UserNotFoundError();
    await this.scrubAndDelete(user, client, actor.id);
  }

  // --- used by the auth module -----------------------------------------------------------

  /** The full record (with the password hash), for the auth module's checks. */
  getUser(id: string): Promise<User> {
    return this.require(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  async create(input: { email: string; name: string; passwordHash: string }): Promise<UserResponseDto> {
    const email = normalizeEmail(input.email);
    if (await this.users.emailInUse(email)) throw new EmailTakenError();
    try {
      return toUserResponse(await this.users.create({ ...input, email }));
    } catch (error) {
      if (error instanceof UniqueEmailViolation) throw new EmailTakenError();
      throw error;
    }
  }

  /**
   * A new password retires every outstanding reset link and ends a pending email change (which
   * may have been asked for by whoever the new password locks out).
   */
  async setPassword(userId: string, passwordHash: string): Promise<User> {
    return this.writeEndingEmailChange(
      userId,
      { passwordHash, passwordChangedAt: new Date() },
      { retireTokens: [UserTokenPurpose.PASSWORD_RESET] },
    );
  }

  /** Ends a pending email change, if any (e.g. when the user signs out everywhere). */
  async endPendingEmailChange(userId: string): Promise<void> {
    await this.writeEndingEmailChange(userId);
  }

  async sendEmailVerification(userId: string): Promise<void> {
    const user = await this.require(userId);
    if (user.emailVerifiedAt !== null) throw new EmailAlreadyVerifiedError();
    const token = await this.tokens.issue(
      userId,
      'EMAIL_VERIFICATION',
      user.email,
      this.config.auth.emailVerificationTtlSeconds,
    );
    await this.mailer.send(
      emailVerificationMail({
        ...this.mailBase(user.email, user.name),
        token,
        expiresInMinutes: this.verificationMinutes(),
      }),
    );
  }

  /** Confirms an address from a verification or email-change token. */
  async verifyEmail(token: string, client: ClientInfo): Promise<void> {
    const record = await this.tokens.consume(token, ['EMAIL_VERIFICATION', 'EMAIL_CHANGE']);
    const user = await this.require(record.userId);
    if (record.purpose === 'EMAIL_VERIFICATION') {
      // A verification sent before an email change confirms nothing about the new address.
      if (record.email !== user.email) throw new EmailAlreadyVerifiedError();
      await this.write(user.id, { emailVerifiedAt: new Date() });
      // The holder of the link mailed to the address acts as the account, as for every emailed link below.
      await this.events.record({ type: SecurityEventType.EmailVerified, userId: user.id, actorId: user.id, client });
      return;
    }
    if (user.pendingEmail !== record.email) throw new EmailAlreadyVerifiedError();
    // Links sent to the old address stop working; the cancel link stays, to revert the change.
    await this.write(
      user.id,
      { email: record.email, pendingEmail: null, emailVerifiedAt: new Date() },
      { retireTokens: [UserTokenPurpose.PASSWORD_RESET, UserTokenPurpose.EMAIL_VERIFICATION] },
    );
    await this.events.record({
      type: SecurityEventType.EmailChanged,
      userId: user.id,
      actorId: user.id,
      client,
      details: { from: user.email },
    });
  }

  /**
   * The link mailed to the old address: ends a pending change, or reverts one confirmed since
   * (the account gets that address back). Either way every session ends and every emailed link
   * in flight stops working: whoever asked for the change may hold a session. Cancel links of
   * later changes (mailed to addresses the account moved to) stop working too, while this one's
   * elders stay: whoever took the account over can't revoke the owner's link by changing again.
   */
  async cancelEmailChange(token: string, client: ClientInfo): Promise<void> {
    // Used up only once the address is back: a 409 leaves it usable.
    const pending = await this.tokens.peek(token, [UserTokenPurpose.EMAIL_CHANGE_CANCEL]);
    const user = await this.require(pending.userId);
    const reverted = user.email !== pending.email;
    const links = { retireTokens: [UserTokenPurpose.PASSWORD_RESET, UserTokenPurpose.EMAIL_VERIFICATION] };
    let taken = false;
    try {
      await this.writeEndingEmailChange(
        user.id,
        reverted ? { email: pending.email, emailVerifiedAt: new Date() } : {},
        links,
      );
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      // The old address belongs to another account now: it can't come back, but whoever moved this
      // account still loses every session and link.
      taken = true;
      await this.writeEndingEmailChange(user.id, {}, links);
    }
    await this.tokens.retireIssuedAfter(pending);
    if (!taken) await this.tokens.consume(token, [UserTokenPurpose.EMAIL_CHANGE_CANCEL]);
    await this.sessions.revokeAll(user.id, SessionRevocationReason.EmailChangeCancelled, {
      client,
      actorId: user.id,
    });
    await this.events.record({
      type: SecurityEventType.EmailChangeCancelled,
      userId: user.id,
      actorId: user.id,
      client,
      details: reverted ? { reverted: !taken, from: user.email } : { reverted },
    });
    if (taken) throw new EmailTakenError();
  }

  // --- internals -------------------------------------------------------------------------

  private async require(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** Every user write goes through here, so the cached `me` can never be stale. */
  private async write(id: string, changes: UserChanges, options: UserWriteOptions = {}): Promise<User> {
    try {
      return await this.users.update(id, changes, options);
    } catch (error) {
      if (error instanceof UniqueEmailViolation) throw new EmailTakenError();
      if (error instanceof NoActiveAdminLeft) throw new LastAdminError();
      throw error;
    } finally {
      await this.cache.del(this.meKey(id));
    }
  }

  /**
   * The one way a pending email change ends unconfirmed (cancelled from the old address, or
   * superseded by a password reset or change, a logout everywhere, a disable): the pending address
   * goes and its confirmation link stops working, in the same write as `changes`.
   */
  private writeEndingEmailChange(id: string, changes: UserChanges = {}, options: UserWriteOptions = {}): Promise<User> {
    return this.write(
      id,
      { ...changes, pendingEmail: null },
      { ...options, retireTokens: [...(options.retireTokens ?? []), UserTokenPurpose.EMAIL_CHANGE] },
    );
  }

  /** The confirmation link to the new address, and the notice with a cancel link to the old one (sent first). */
  private async mailEmailChange(user: User, newEmail: string): Promise<void> {
    const ttl = this.config.auth.emailVerificationTtlSeconds;
    const confirm = await this.tokens.issue(user.id, UserTokenPurpose.EMAIL_CHANGE, newEmail, ttl);
    const cancel = await this.tokens.issue(user.id, UserTokenPurpose.EMAIL_CHANGE_CANCEL, user.email, ttl, {
      keepEarlier: true,
    });
    const expiresInMinutes = this.verificationMinutes();
    await this.mailer.send(
      emailChangeNoticeMail({ ...this.mailBase(user.email, user.name), newEmail, token: cancel, expiresInMinutes }),
    );
    await this.mailer.send(
      emailChangeMail({ ...this.mailBase(newEmail, user.name), token: confirm, expiresInMinutes }),
    );
  }

  /** `actorId`: the user deleting their own account, or the administrator deleting it. */
  private async scrubAndDelete(user: User, client: ClientInfo, actorId: string): Promise<void> {
    await this.write(
      user.id,
      {
        status: 'DELETED',
        deletedAt: new Date(),
        email: deletedAccountEmail(user.id),
        name: 'Deleted user',
        pendingEmail: null,
        // Not a valid argon2 hash: no password can ever match it.
        passwordHash: '!deleted',
      },
      { retireTokens: Object.values(UserTokenPurpose), keepAnActiveAdmin: true },
    );
    await this.sessions.revokeAll(user.id, SessionRevocationReason.UserDeleted, { client, actorId });
    await this.apiKeys.revokeAll(user.id, ApiKeyRevocationReason.UserDeleted, { client, actorId });
    await this.events.record({ type: SecurityEventType.UserDeleted, userId: user.id, actorId, client });
  }

  private meKey(userId: string): string {
    return this.cache.key('users', 'me', userId);
  }

  private mailBase(to: string, name: string) {
    return { appName: this.config.app.name, frontendUrl: this.config.app.frontendUrl, to, name };
  }

  private verificationMinutes(): number {
    return Math.round(this.config.auth.emailVerificationTtlSeconds / 60);
  }
}
