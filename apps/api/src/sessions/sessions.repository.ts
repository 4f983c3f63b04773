import { Injectable } from '@nestjs/common';
import { PrismaService, type Role, type UserStatus } from '@app/database';
import { MAX_LISTED_SESSIONS } from './dto/session-response.dto.js';

export interface SessionRecord {
  id: string;
  userId: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
}

export interface RefreshTokenRecord {
  id: string;
  rotatedAt: Date | null;
  session: SessionRecord & { user: { id: string; role: Role; status: UserStatus } };
}

const SESSION_FIELDS = {
  id: true,
  userId: true,
  userAgent: true,
  ip: true,
  createdAt: true,
  lastUsedAt: true,
  idleExpiresAt: true,
  absoluteExpiresAt: true,
  revokedAt: true,
} as const;

@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new session with its first refresh token, atomically. */
  async create(input: {
    userId: string;
    userAgent: string | undefined;
    ip: string | undefined;
    idleExpiresAt: Date;
    absoluteExpiresAt: Date;
    tokenHash: string;
  }): Promise<SessionRecord> {
    return this.prisma.session.create({
      data: {
        userId: input.userId,
        userAgent: input.userAgent ?? null,
        ip: input.ip ?? null,
        idleExpiresAt: input.idleExpiresAt,
        absoluteExpiresAt: input.absoluteExpiresAt,
        refreshTokens: { create: { tokenHash: input.tokenHash } },
      },
      select: SESSION_FIELDS,
    });
  }

  /**
   * On the primary (read replicas lag): a copy behind a rotation or a revocation would let a reused
   * refresh token, or one of a revoked session, be exchanged (`rotate` claims the token, but does
   * not check its session again).
   */
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.prisma.primary.refreshToken.findUnique({
      where: { tokenHash },
      select: {
        id: true,
        rotatedAt: true,
        session: { select: { ...SESSION_FIELDS, user: { select: { id: true, role: true, status: true } } } },
      },
    });
  }

  /**
   * Exchanges a refresh token for a new one in one transaction. Resolves false when the token was
   * rotated meanwhile by a concurrent request: that is a reuse too.
   */
  async rotate(input: {
    tokenId: string;
    sessionId: string;
    newTokenHash: string;
    now: Date;
    idleExpiresAt: Date;
  }): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const claimed = await tx.refreshToken.updateMany({
        where: { id: input.tokenId, rotatedAt: null },
        data: { rotatedAt: input.now },
      });
      if (claimed.count === 0) return false;
      await tx.refreshToken.create({ data: { sessionId: input.sessionId, tokenHash: input.newTokenHash } });
      await tx.session.update({
        where: { id: input.sessionId },
        data: { lastUsedAt: input.now, idleExpiresAt: input.idleExpiresAt },
      });
      return true;
    });
  }

  /**
   * Active sessions of one user, newest first. A replica may answer: a session revoked in the last
   * moments may still be listed, but no token of it works (the revocation check reads the primary).
   */
  listActive(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.prisma.session.findMany({
      where: { userId, revokedAt: null, idleExpiresAt: { gt: now }, absoluteExpiresAt: { gt: now } },
      orderBy: [{ lastUsedAt: 'desc' }, { id: 'desc' }],
      take: MAX_LISTED_SESSIONS,
      select: SESSION_FIELDS,
    });
  }

  /** Revokes one session of one user; resolves false when that user has no such active session. */
  async revoke(userId: string, sessionId: string, reason: string, now: Date): Promise<boolean> {
    const result = await this.prisma.session.updateMany({
      where: { id: sessionId, userId, revokedAt: null },
      data: { revokedAt: now, revokedReason: reason },
    });
    return result.count > 0;
  }

  /** Revokes every active session of a user (optionally but one); returns the revoked ids. */
  async revokeAll(userId: string, reason: string, now: Date, exceptSessionId?: string): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const sessions = await tx.session.findMany({
        where: { userId, revokedAt: null, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
        select: { id: true },
      });
      const ids = sessions.map((session) => session.id);
      if (ids.length > 0) {
        await tx.session.updateMany({ where: { id: { in: ids } }, data: { revokedAt: now, revokedReason: reason } });
      }
      return ids;
    });
  }
}
