import { Injectable } from '@nestjs/common';
import { BY_CREATION } from '@app/common';
import { Prisma, PrismaService, type SecurityEvent } from '@app/database';
import type { ClientInfo } from '../iam/auth-user.js';

export const SecurityEventType = {
  LoginSucceeded: 'LOGIN_SUCCEEDED',
  LoginFailed: 'LOGIN_FAILED',
  LoginLockedOut: 'LOGIN_LOCKED_OUT',
  RefreshTokenReused: 'REFRESH_TOKEN_REUSED',
  SessionRevoked: 'SESSION_REVOKED',
  AllSessionsRevoked: 'ALL_SESSIONS_REVOKED',
  PasswordChanged: 'PASSWORD_CHANGED',
  PasswordReset: 'PASSWORD_RESET',
  PasswordResetRequested: 'PASSWORD_RESET_REQUESTED',
  EmailVerified: 'EMAIL_VERIFIED',
  EmailChanged: 'EMAIL_CHANGED',
  EmailChangeRequested: 'EMAIL_CHANGE_REQUESTED',
  EmailChangeCancelled: 'EMAIL_CHANGE_CANCELLED',
  UserDisabled: 'USER_DISABLED',
  UserEnabled: 'USER_ENABLED',
  UserDeleted: 'USER_DELETED',
  RoleChanged: 'ROLE_CHANGED',
  ApiKeyCreated: 'API_KEY_CREATED',
  ApiKeyRevoked: 'API_KEY_REVOKED',
} as const;
export type SecurityEventType = (typeof SecurityEventType)[keyof typeof SecurityEventType];

export interface SecurityEventInput {
  type: SecurityEventType;
  /** The target: the account the event is about (none for a failed sign-in with an unknown email). */
  userId?: string | undefined;
  /**
   * Who did it, stated by every caller: the target's own id for what the account did itself
   * (signed in, or with a link mailed to it), an administrator's id for what they did to it, null
   * when nobody was signed in (a failed sign-in, a forgot-password request, a refused refresh token).
   */
  actorId: string | null;
  sessionId?: string | undefined;
  client?: ClientInfo | undefined;
  details?: Record<string, string | number | boolean | null>;
}

/** What the admin read of the log filters by; every filter is optional and they combine. */
export interface SecurityEventFilter {
  userId?: string | undefined;
  actorId?: string | undefined;
  type?: SecurityEventType | undefined;
  /** Recorded at or after this instant. */
  from?: Date | undefined;
  /** Recorded before this instant. */
  to?: Date | undefined;
}

export interface SecurityEventPage {
  /** The previous page's `nextCursor` (of {@link BY_CREATION}, newest first); none for the first page. */
  cursor?: string | undefined;
  /** Rows to fetch (page size + 1, to know whether another page exists). */
  take: number;
}

@Injectable()
export class SecurityEventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(event: SecurityEventInput): Promise<void> {
    await this.prisma.securityEvent.create({
      data: {
        type: event.type,
        userId: event.userId ?? null,
        actorId: event.actorId,
        sessionId: event.sessionId ?? null,
        ip: event.client?.ip ?? null,
        userAgent: event.client?.userAgent ?? null,
        details: event.details ?? Prisma.DbNull,
      },
    });
  }

  /**
   * The events about one account (it is their target), newest first, on the index
   * `userId, createdAt, id`. A replica may answer: an event of the last moments may not show yet.
   */
  listForUser(userId: string, page: SecurityEventPage): Promise<SecurityEvent[]> {
    return this.findPage({ userId }, page);
  }

  /** The whole log, as an administrator reads it: the filters combine. A replica may answer. */
  list(filter: SecurityEventFilter, page: SecurityEventPage): Promise<SecurityEvent[]> {
    return this.findPage(
      {
        ...(filter.userId === undefined ? {} : { userId: filter.userId }),
        ...(filter.actorId === undefined ? {} : { actorId: filter.actorId }),
        ...(filter.type === undefined ? {} : { type: filter.type }),
        ...(filter.from === undefined && filter.to === undefined
          ? {}
          : { createdAt: { gte: filter.from, lt: filter.to } }),
      },
      page,
    );
  }

  private findPage(where: Prisma.SecurityEventWhereInput, page: SecurityEventPage): Promise<SecurityEvent[]> {
    return this.prisma.securityEvent.findMany({
      where: { AND: [where, BY_CREATION.after(page.cursor, 'desc')] },
      orderBy: BY_CREATION.orderBy('desc'),
      take: page.take,
    });
  }
}
