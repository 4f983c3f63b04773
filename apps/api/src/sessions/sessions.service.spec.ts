import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hashOpaqueToken } from '@app/common';
import { makeClient, makeConfig, makeRefreshToken } from '../../../../test/utils/builders.js';
import { SecurityEventType, type SecurityEventsRepository } from '../audit/security-events.repository.js';
import type { AccessTokens } from '../iam/access-tokens/access-tokens.js';
import type { RevokedSessions } from '../iam/revocation/revoked-sessions.js';
import { InvalidRefreshTokenError, RefreshTokenReusedError, SessionNotFoundError } from './sessions.errors.js';
import type { SessionsRepository } from './sessions.repository.js';
import { SessionRevocationReason, SessionsService } from './sessions.service.js';

function makeCollaborators() {
  return {
    sessions: {
      create: vi.fn<SessionsRepository['create']>(),
      findRefreshToken: vi.fn<SessionsRepository['findRefreshToken']>(),
      rotate: vi.fn<SessionsRepository['rotate']>(),
      listActive: vi.fn<SessionsRepository['listActive']>(),
      revoke: vi.fn<SessionsRepository['revoke']>(),
      revokeAll: vi.fn<SessionsRepository['revokeAll']>(),
    },
    accessTokens: { sign: vi.fn<AccessTokens['sign']>() },
    revoked: { mark: vi.fn<RevokedSessions['mark']>() },
    events: { record: vi.fn<SecurityEventsRepository['record']>() },
  };
}

describe(SessionsService.name, () => {
  const config = makeConfig();
  const client = makeClient();
  let deps: ReturnType<typeof makeCollaborators>;
  let sut: SessionsService;

  beforeEach(() => {
    deps = makeCollaborators();
    deps.accessTokens.sign.mockResolvedValue('signed.access.token');
    deps.revoked.mark.mockResolvedValue(undefined);
    deps.events.record.mockResolvedValue(undefined);
    sut = new SessionsService(
      deps.sessions as unknown as SessionsRepository,
      deps.accessTokens as unknown as AccessTokens,
      deps.revoked as unknown as RevokedSessions,
      deps.events as unknown as SecurityEventsRepository,
      config,
    );
  });

  describe('start', () => {
    it('stores a session holding only the refresh token’s hash and signs an access token for it', async () => {
      deps.sessions.create.mockResolvedValue({ id: 'session-1' } as Awaited<ReturnType<SessionsRepository['create']>>);

      const tokens = await sut.start({ id: 'user-1', role: 'USER' }, client);

      const stored = deps.sessions.create.mock.calls[0]![0];
      expect(stored).toMatchObject({ userId: 'user-1', ip: client.ip, userAgent: client.userAgent });
      expect(stored.tokenHash).toBe(hashOpaqueToken(tokens.refreshToken));
      expect(stored.idleExpiresAt.getTime()).toBeLessThanOrEqual(stored.absoluteExpiresAt.getTime());
      expect(deps.accessTokens.sign).toHaveBeenCalledWith({ id: 'user-1', role: 'USER' }, 'session-1');
      expect(tokens).toEqual({
        accessToken: 'signed.access.token',
        refreshToken: expect.any(String),
        expiresIn: config.auth.accessTokenTtlSeconds,
      });
    });
  });

  describe('refresh', () => {
    it('rotates a current token: a new refresh token, a new access token, the idle expiry moved on', async () => {
      const found = makeRefreshToken({ user: { role: 'ADMIN' } });
      deps.sessions.findRefreshToken.mockResolvedValue(found);
      deps.sessions.rotate.mockResolvedValue(true);

      const tokens = await sut.refresh('presented-token', client);

      expect(deps.sessions.findRefreshToken).toHaveBeenCalledWith(hashOpaqueToken('presented-token'));
      const rotation = deps.sessions.rotate.mock.calls[0]![0];
      expect(rotation).toMatchObject({ tokenId: found.id, sessionId: found.session.id });
      expect(rotation.newTokenHash).toBe(hashOpaqueToken(tokens.refreshToken));
      expect(tokens.refreshToken).not.toBe('presented-token');
      expect(rotation.idleExpiresAt.getTime()).toBeGreaterThan(found.session.lastUsedAt.getTime());
      expect(deps.accessTokens.sign).toHaveBeenCalledWith(found.session.user, found.session.id);
      expect(tokens.accessToken).toBe('signed.access.token');
      expect(deps.sessions.revoke).not.toHaveBeenCalled();
    });

    it('never moves the idle expiry past the absolute one', async () => {
      const absoluteExpiresAt = new Date(Date.now() + 5_000);
      deps.sessions.findRefreshToken.mockResolvedValue(makeRefreshToken({ session: { absoluteExpiresAt } }));
      deps.sessions.rotate.mockResolvedValue(true);

      await sut.refresh('presented-token', client);

      expect(deps.sessions.rotate.mock.calls[0]![0].idleExpiresAt).toEqual(absoluteExpiresAt);
    });

    it('throws INVALID_REFRESH_TOKEN for an unknown token', async () => {
      deps.sessions.findRefreshToken.mockResolvedValue(null);

      await expect(sut.refresh('unknown', client)).rejects.toThrow(InvalidRefreshTokenError);
      expect(deps.sessions.rotate).not.toHaveBeenCalled();
    });

    it.each([
      ['a revoked session', makeRefreshToken({ session: { revokedAt: new Date() } })],
      ['an idle-expired session', makeRefreshToken({ session: { idleExpiresAt: new Date(Date.now() - 1) } })],
      ['an absolutely expired session', makeRefreshToken({ session: { absoluteExpiresAt: new Date(Date.now() - 1) } })],
      ['a disabled account', makeRefreshToken({ user: { status: 'DISABLED' } })],
      ['a deleted account', makeRefreshToken({ user: { status: 'DELETED' } })],
    ])('refuses %s without rotating or revoking anything', async (_case, found) => {
      deps.sessions.findRefreshToken.mockResolvedValue(found);

      await expect(sut.refresh('presented-token', client)).rejects.toThrow(InvalidRefreshTokenError);
      expect(deps.sessions.rotate).not.toHaveBeenCalled();
      expect(deps.sessions.revoke).not.toHaveBeenCalled();
      expect(deps.accessTokens.sign).not.toHaveBeenCalled();
    });

    it('treats a rotated token as stolen: revokes its session, marks it revoked, records the reuse', async () => {
      const found = makeRefreshToken({ rotatedAt: new Date() });
      deps.sessions.findRefreshToken.mockResolvedValue(found);
      deps.sessions.revoke.mockResolvedValue(true);

      await expect(sut.refresh('presented-token', client)).rejects.toThrow(RefreshTokenReusedError);

      const { session } = found;
      expect(deps.sessions.revoke).toHaveBeenCalledWith(
        session.userId,
        session.id,
        SessionRevocationReason.TokenReuse,
        expect.any(Date),
      );
      expect(deps.revoked.mark).toHaveBeenCalledWith([session.id]);
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.RefreshTokenReused,
        userId: session.userId,
        actorId: null,
        sessionId: session.id,
        client,
        details: { sessionWasActive: true },
      });
      expect(deps.sessions.rotate).not.toHaveBeenCalled();
      expect(deps.accessTokens.sign).not.toHaveBeenCalled();
    });

    it('detects reuse even on an already revoked session, recording that it was no longer active', async () => {
      const found = makeRefreshToken({ rotatedAt: new Date(), session: { revokedAt: new Date() } });
      deps.sessions.findRefreshToken.mockResolvedValue(found);
      deps.sessions.revoke.mockResolvedValue(false);

      await expect(sut.refresh('presented-token', client)).rejects.toThrow(RefreshTokenReusedError);
      expect(deps.events.record).toHaveBeenCalledWith(
        expect.objectContaining({ type: SecurityEventType.RefreshTokenReused, details: { sessionWasActive: false } }),
      );
    });

    it('treats losing a concurrent rotation of the same token as reuse and revokes the session', async () => {
      const found = makeRefreshToken();
      deps.sessions.findRefreshToken.mockResolvedValue(found);
      deps.sessions.rotate.mockResolvedValue(false);
      deps.sessions.revoke.mockResolvedValue(true);

      await expect(sut.refresh('presented-token', client)).rejects.toThrow(RefreshTokenReusedError);
      expect(deps.sessions.revoke).toHaveBeenCalledWith(
        found.session.userId,
        found.session.id,
        SessionRevocationReason.TokenReuse,
        expect.any(Date),
      );
      expect(deps.revoked.mark).toHaveBeenCalledWith([found.session.id]);
      expect(deps.accessTokens.sign).not.toHaveBeenCalled();
    });
  });

  describe('revoke', () => {
    it('revokes the user’s own session, marks it revoked and records why', async () => {
      deps.sessions.revoke.mockResolvedValue(true);

      await sut.revoke('user-1', 'session-1', SessionRevocationReason.Logout, client);

      expect(deps.sessions.revoke).toHaveBeenCalledWith('user-1', 'session-1', 'LOGOUT', expect.any(Date));
      expect(deps.revoked.mark).toHaveBeenCalledWith(['session-1']);
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.SessionRevoked,
        userId: 'user-1',
        actorId: 'user-1',
        sessionId: 'session-1',
        client,
        details: { reason: 'LOGOUT' },
      });
    });

    it('throws SESSION_NOT_FOUND for another user’s or an unknown session, marking nothing', async () => {
      deps.sessions.revoke.mockResolvedValue(false);

      await expect(sut.revoke('user-1', 'session-x', SessionRevocationReason.RevokedByUser)).rejects.toThrow(
        SessionNotFoundError,
      );
      expect(deps.revoked.mark).not.toHaveBeenCalled();
      expect(deps.events.record).not.toHaveBeenCalled();
    });
  });

  describe('revokeAll', () => {
    it('revokes every session but the one kept, marks them, answers how many and records who did it', async () => {
      deps.sessions.revokeAll.mockResolvedValue(['s-2', 's-3']);

      const count = await sut.revokeAll('user-1', SessionRevocationReason.PasswordChanged, {
        exceptSessionId: 's-1',
        client,
        actorId: 'user-1',
      });

      expect(count).toBe(2);
      expect(deps.sessions.revokeAll).toHaveBeenCalledWith('user-1', 'PASSWORD_CHANGED', expect.any(Date), 's-1');
      expect(deps.revoked.mark).toHaveBeenCalledWith(['s-2', 's-3']);
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.AllSessionsRevoked,
        userId: 'user-1',
        actorId: 'user-1',
        sessionId: 's-1',
        client,
        details: { reason: 'PASSWORD_CHANGED', count: 2 },
      });
    });
  });
});
