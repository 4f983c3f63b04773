import { Injectable } from '@nestjs/common';
import { AppCache } from '@app/cache';
import { AppConfig } from '@app/config';
import { toPage, verifyPassword, type Page } from '@app/common';
import type { User } from '@app/database';
import type { AuthUser, ClientInfo } from '../auth/auth-user.js';
import { Mailer } from '../mail/mailer.service.js';
import { emailChangeMail, emailVerificationMail } from '../mail/mail-templates.js';
import { SecurityEventsRepository, SecurityEventType } from '../sessions/security-events.repository.js';
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
  SelfAdministrationError,
  UserNotFoundError,
} from './users.errors.js';
import { UniqueEmailViolation, UsersRepository, type UserChanges } from './users.repository.js';

/** Trimmed and lower-cased: emails are unique case-insensitively. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    status: user.status,
    emailVerified: user.emailVerifiedAt !== null,
    pendingEmail: user.pendingEmail,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

function toAdminUserResponse(user: User): AdminUserResponseDto {
  return { ...toUserResponse(user), deletedAt: user.deletedAt?.toISOString() ?? null };
}

const ME_CACHE_TTL_SECONDS = 300;

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: UserTokensService,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEventsRepository,
    private readonly cache: AppCache,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
  ) {}

  /** Served from the cache; every write below invalidates it. */
  getMe(userId: string): Promise<UserResponseDto> {
    return this.cache.getOrSet(this.meKey(userId), ME_CACHE_TTL_SECONDS, async () =>
      toUserResponse(await this.require(userId)),
    );
  }

  async updateMe(userId: string, changes: UpdateMeDto): Promise<UserResponseDto> {
    const user = await this.require(userId);
    const update: UserChanges = {};
    if (changes.name !== undefined) update.name = changes.name;
    const newEmail = changes.email === undefined ? undefined : normalizeEmail(changes.email);
    const emailChange = newEmail !== undefined && newEmail !== user.email;
    if (emailChange) {
      if (await this.users.emailInUse(newEmail, userId)) throw new EmailTakenError();
      update.pendingEmail = newEmail;
    } else if (newEmail !== undefined) {
      update.pendingEmail = null; // asked for the current address: cancel a pending change
    }
    const updated = await this.write(userId, update);
    if (emailChange) {
      const token = await this.tokens.issue(
        userId,
        'EMAIL_CHANGE',
        newEmail,
        this.config.auth.emailVerificationTtlSeconds,
      );
      await this.mailer.send(
        emailChangeMail({
          ...this.mailBase(newEmail, updated.name),
          token,
          expiresInMinutes: this.verificationMinutes(),
        }),
      );
    }
    return toUserResponse(updated);
  }

  /** Soft delete: the row stays for referential history, the personal data goes. */
  async deleteMe(userId: string, password: string, client: ClientInfo): Promise<void> {
    const user = await this.require(userId);
    if (!(await verifyPassword(user.passwordHash, password))) throw new IncorrectPasswordError();
    await this.scrubAndDelete(user, SessionRevocationReason.UserDeleted, client);
  }

  async list(query: ListUsersQueryDto): Promise<Page<AdminUserResponseDto>> {
    const rows = await this.users.list({ ...query, take: query.limit + 1 });
    const page = toPage(rows, query.limit, USER_KEYSETS[query.sort]);
    return { items: page.items.map(toAdminUserResponse), nextCursor: page.nextCursor };
  }

  async getById(id: string): Promise<AdminUserResponseDto> {
    return toAdminUserResponse(await this.require(id));
  }

  /** Role and status changes sign the user out everywhere, at once. */
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

    const updated = await this.write(id, update);
    if (update.status === 'DISABLED') {
      await this.sessions.revokeAll(id, SessionRevocationReason.UserDisabled, { client });
      await this.events.record({ type: SecurityEventType.UserDisabled, userId: id, client, details: { by: actor.id } });
    } else if (update.status === 'ACTIVE') {
      await this.events.record({ type: SecurityEventType.UserEnabled, userId: id, client, details: { by: actor.id } });
    }
    if (update.role !== undefined) {
      await this.sessions.revokeAll(id, SessionRevocationReason.RoleChanged, { client });
      await this.events.record({
        type: SecurityEventType.RoleChanged,
        userId: id,
        client,
        details: { by: actor.id, from: user.role, to: update.role },
      });
    }
    return toAdminUserResponse(updated);
  }

  async adminDelete(actor: AuthUser, id: string, client: ClientInfo): Promise<void> {
    if (actor.id === id) throw new SelfAdministrationError();
    const user = await this.require(id);
    if (user.status === 'DELETED') throw new UserNotFoundError();
    await this.scrubAndDelete(user, SessionRevocationReason.UserDeleted, client, actor.id);
  }

  // --- used by the auth module -----------------------------------------------------------

  /** The full record (with the password hash), for the auth module's checks. */
  getUser(id: string): Promise<User> {
    return this.require(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  async create(input: { email: string; name: string; passwordHash: string }): Promise<User> {
    try {
      return await this.users.create({ ...input, email: normalizeEmail(input.email) });
    } catch (error) {
      if (error instanceof UniqueEmailViolation) throw new EmailTakenError();
      throw error;
    }
  }

  async setPassword(userId: string, passwordHash: string): Promise<User> {
    return this.write(userId, { passwordHash, passwordChangedAt: new Date() });
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
      await this.events.record({ type: SecurityEventType.EmailVerified, userId: user.id, client });
      return;
    }
    if (user.pendingEmail !== record.email) throw new EmailAlreadyVerifiedError();
    await this.write(user.id, { email: record.email, pendingEmail: null, emailVerifiedAt: new Date() });
    await this.events.record({
      type: SecurityEventType.EmailChanged,
      userId: user.id,
      client,
      details: { from: user.email },
    });
  }

  // --- internals -------------------------------------------------------------------------

  private async require(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** Every user write goes through here, so the cached `me` can never be stale. */
  private async write(id: string, changes: UserChanges): Promise<User> {
    try {
      return await this.users.update(id, changes);
    } catch (error) {
      if (error instanceof UniqueEmailViolation) throw new EmailTakenError();
      throw error;
    } finally {
      await this.cache.del(this.meKey(id));
    }
  }

  private async scrubAndDelete(
    user: User,
    reason: SessionRevocationReason,
    client: ClientInfo,
    by?: string,
  ): Promise<void> {
    await this.write(user.id, {
      status: 'DELETED',
      deletedAt: new Date(),
      // Frees the address for a new account and keeps nothing personal.
      email: `deleted+${user.id}@deleted.invalid`,
      name: 'Deleted user',
      pendingEmail: null,
      // Not a valid argon2 hash: no password can ever match it.
      passwordHash: '!deleted',
    });
    await this.tokens.retireAll(user.id);
    await this.sessions.revokeAll(user.id, reason, { client });
    await this.events.record({
      type: SecurityEventType.UserDeleted,
      userId: user.id,
      client,
      details: { by: by ?? user.id },
    });
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
