import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { hashOpaqueToken, newOpaqueToken } from '@app/common';
import type { Role } from '@app/database';
import { SecurityEventsRepository, SecurityEventType } from '../audit/security-events.repository.js';
import { AccessTokens } from '../iam/access-tokens/access-tokens.js';
import type { ClientInfo } from '../iam/auth-user.js';
import { RevokedSessions } from '../iam/revocation/revoked-sessions.js';
import type { SessionResponseDto } from './dto/session-response.dto.js';
import { InvalidRefreshTokenError, RefreshTokenReusedError, SessionNotFoundError } from './sessions.errors.js';
import { SessionsRepository, type SessionRecord } from './sessions.repository.js';
import { toSessionResponse } from './sessions.responses.js';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

export const SessionRevocationReason = {
  Logout: 'LOGOUT',
  LogoutAll: 'LOGOUT_ALL',
  RevokedByUser: 'REVOKED_BY_USER',
  TokenReuse: 'TOKEN_REUSE',
  PasswordChanged: 'PASSWORD_CHANGED',
  PasswordReset: 'PASSWORD_RESET',
  UserDisabled: 'USER_DISABLED',
  RoleChanged: 'ROLE_CHANGED',
  UserDeleted: 'USER_DELETED',
  EmailChangeCancelled: 'EMAIL_CHANGE_CANCELLED',
} as const;
export type SessionRevocationReason = (typeof SessionRevocationReason)[keyof typeof SessionRevocationReason];

/**
 * Sessions (one per signed-in device) and their refresh-token family: issue, rotate on every
 * refresh, detect reuse of a rotated token (the whole family is revoked), revoke.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly accessTokens: AccessTokens,
    private readonly revoked: RevokedSessions,
    private readonly events: SecurityEventsRepository,
    private readonly config: AppConfig,
  ) {}

  async start(user: { id: string; role: Role }, client: ClientInfo): Promise<IssuedTokens> {
    const now = new Date();
    const refresh = newOpaqueToken();
    const absoluteExpiresAt = this.after(now, this.config.auth.refreshTokenAbsoluteTtlSeconds);
    const session = await this.sessions.create({
      userId: user.id,
      userAgent: client.userAgent,
      ip: client.ip,
      idleExpiresAt: this.idleExpiry(now, absoluteExpiresAt),
      absoluteExpiresAt,
      tokenHash: refresh.hash,
    });
    return this.issue(user, session.id, refresh.token);
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    const now = new Date();
    const found = await this.sessions.findRefreshToken(hashOpaqueToken(refreshToken));
    if (!found) throw new InvalidRefreshTokenError();
    const { session } = found;
    if (found.rotatedAt !== null) return this.handleReuse(session, client);
    if (
      session.revokedAt !== null ||
      session.idleExpiresAt <= now ||
      session.absoluteExpiresAt <= now ||
      session.user.status !== 'ACTIVE'
    ) {
      throw new InvalidRefreshTokenError();
    }

    const next = newOpaqueToken();
    const rotated = await this.sessions.rotate({
      tokenId: found.id,
      sessionId: session.id,
      newTokenHash: next.hash,
      now,
      idleExpiresAt: this.idleExpiry(now, session.absoluteExpiresAt),
    });
    // Another request rotated this very token a moment ago: one of the two callers is a thief.
    if (!rotated) return this.handleReuse(session, client);
    return this.issue(session.user, session.id, next.token);
  }

  /** The user's active sessions; `currentSessionId` (the caller's own) is marked `current`. */
  async listActive(userId: string, currentSessionId: string): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listActive(userId, new Date());
    return sessions.map((session) => toSessionResponse(session, currentSessionId));
  }

  /** Revokes one of the user's own sessions (they are the actor); another user's session id is simply not found. */
  async revoke(userId: string, sessionId: string, reason: SessionRevocationReason, client?: ClientInfo): Promise<void> {
    const revoked = await this.sessions.revoke(userId, sessionId, reason, new Date());
    if (!revoked) throw new SessionNotFoundError();
    await this.revoked.mark([sessionId]);
    await this.events.record({
      type: SecurityEventType.SessionRevoked,
      userId,
      actorId: userId,
      sessionId,
      client,
      details: { reason },
    });
  }

  /**
   * Revokes all of a user's sessions, or all but `exceptSessionId`; returns how many. `actorId` is
   * who did it (the user, or the administrator who disabled, demoted or deleted the account).
   */
  async revokeAll(
    userId: string,
    reason: SessionRevocationReason,
    options: { exceptSessionId?: string; client?: ClientInfo; actorId: string },
  ): Promise<number> {
    const ids = await this.sessions.revokeAll(userId, reason, new Date(), options.exceptSessionId);
    await this.revoked.mark(ids);
    await this.events.record({
      type: SecurityEventType.AllSessionsRevoked,
      userId,
      actorId: options.actorId,
      sessionId: options.exceptSessionId,
      client: options.client,
      details: { reason, count: ids.length },
    });
    return ids.length;
  }

  private async handleReuse(session: SessionRecord, client: ClientInfo): Promise<never> {
    const revoked = await this.sessions.revoke(
      session.userId,
      session.id,
      SessionRevocationReason.TokenReuse,
      new Date(),
    );
    await this.revoked.mark([session.id]);
    await this.events.record({
      type: SecurityEventType.RefreshTokenReused,
      userId: session.userId,
      // The token was refused: whoever presented it (the owner or a thief) is not signed in.
      actorId: null,
      sessionId: session.id,
      client,
      details: { sessionWasActive: revoked },
    });
    this.logger.warn(`Refresh token reuse detected: session ${session.id} of user ${session.userId} revoked`);
    throw new RefreshTokenReusedError();
  }

  private async issue(
    user: { id: string; role: Role },
    sessionId: string,
    refreshToken: string,
  ): Promise<IssuedTokens> {
    return {
      accessToken: await this.accessTokens.sign(user, sessionId),
      refreshToken,
      expiresIn: this.config.auth.accessTokenTtlSeconds,
    };
  }

  private idleExpiry(now: Date, absoluteExpiresAt: Date): Date {
    const idle = this.after(now, this.config.auth.refreshTokenIdleTtlSeconds);
    return idle < absoluteExpiresAt ? idle : absoluteExpiresAt;
  }

  private after(date: Date, seconds: number): Date {
    return new Date(date.getTime() + seconds * 1000);
  }
}
