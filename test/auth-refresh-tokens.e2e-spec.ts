import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { bearer, decodeJwt, login, registerAndLogin, sessionIdOf } from './utils/auth.js';
import { expectProblem, INVALID_ACCESS_TOKEN, VALIDATION_FAILED } from './utils/problem.js';
import { ACCESS_TTL, INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED, TokenTestApp } from './utils/token-app.js';

describe('auth: refresh token rotation and expiry (e2e)', () => {
  const h = new TokenTestApp();
  const { me, refresh } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('POST /v1/auth/refresh', () => {
    it('rotates: a new pair for the same session, and the new refresh token works once more', async () => {
      const account = await registerAndLogin(h.t.app);

      const first = await refresh(account.refreshToken);

      expect(first.statusCode).toBe(200);
      const pair = first.json();
      expect(Object.keys(pair).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken']);
      expect(pair.expiresIn).toBe(ACCESS_TTL);
      expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(pair.refreshToken).not.toBe(account.refreshToken);
      const oldClaims = decodeJwt(account.accessToken).payload;
      const newClaims = decodeJwt(pair.accessToken).payload;
      expect(newClaims).toMatchObject({ sub: account.id, sid: oldClaims.sid, role: 'USER' });
      expect(newClaims.jti).not.toBe(oldClaims.jti);
      expect((await me(bearer(pair.accessToken))).statusCode).toBe(200);

      const second = await refresh(pair.refreshToken);
      expect(second.statusCode).toBe(200);
      expect(sessionIdOf(second.json().accessToken)).toBe(oldClaims.sid);
    });

    it('treats a rotated token presented again as theft: the whole session is revoked at once, other sessions are not', async () => {
      const account = await registerAndLogin(h.t.app);
      const otherDevice = await login(h.t.app, account.email, account.password);
      const sid = sessionIdOf(account.accessToken);
      const rotated = await refresh(account.refreshToken);
      expect(rotated.statusCode).toBe(200);
      const newest = rotated.json();

      const reuse = await refresh(account.refreshToken);

      expectProblem(reuse, REFRESH_TOKEN_REUSED, '/v1/auth/refresh');
      expectProblem(await refresh(newest.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(await me(bearer(newest.accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await me(account.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');

      const events = await h.prisma.securityEvent.findMany({
        where: { userId: account.id, type: 'REFRESH_TOKEN_REUSED' },
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ sessionId: sid, details: { sessionWasActive: true } });
      await expect(h.prisma.session.findUniqueOrThrow({ where: { id: sid } })).resolves.toMatchObject({
        revokedAt: expect.any(Date),
        revokedReason: 'TOKEN_REUSE',
      });

      expect((await me(bearer(otherDevice.accessToken))).statusCode).toBe(200);
      expect((await refresh(otherDevice.refreshToken)).statusCode).toBe(200);
    });

    it('lets exactly one of two concurrent refreshes with the same token win, then revokes the session', async () => {
      const account = await registerAndLogin(h.t.app);
      const sessions = [
        { accessToken: account.accessToken, refreshToken: account.refreshToken },
        await login(h.t.app, account.email, account.password),
        await login(h.t.app, account.email, account.password),
      ];

      for (const session of sessions) {
        const sid = sessionIdOf(session.accessToken);

        const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);

        expect(results.map((res) => res.statusCode).sort()).toEqual([200, 401]);
        const winner = results.find((res) => res.statusCode === 200);
        const loser = results.find((res) => res.statusCode === 401);
        if (!winner || !loser) throw new Error('expected one winner and one loser');
        expectProblem(loser, REFRESH_TOKEN_REUSED, '/v1/auth/refresh');
        await expect(h.prisma.session.findUniqueOrThrow({ where: { id: sid } })).resolves.toMatchObject({
          revokedAt: expect.any(Date),
          revokedReason: 'TOKEN_REUSE',
        });
        expectProblem(await refresh(winner.json().refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
        expectProblem(await me(bearer(winner.json().accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
      }
    });

    it('rejects an unknown token with 401 INVALID_REFRESH_TOKEN', async () => {
      const res = await refresh(randomBytes(32).toString('base64url'));

      expectProblem(res, INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });

    it.each([
      ['no body', undefined],
      ['an empty object', {}],
      ['an empty token', { refreshToken: '' }],
    ])('rejects %s with a 400', async (_label, payload) => {
      const res = await h.t.app.inject({ method: 'POST', url: '/v1/auth/refresh', ...(payload ? { payload } : {}) });

      const shapeError = { field: 'refreshToken', message: 'refreshToken must be a 43-character token as issued' };
      const errors =
        payload && 'refreshToken' in payload
          ? [shapeError]
          : [{ field: 'refreshToken', message: 'refreshToken must be a string' }, shapeError];
      expectProblem(res, VALIDATION_FAILED, '/v1/auth/refresh', { errors });
    });

    it('rejects a token whose session passed its idle expiry', async () => {
      const account = await registerAndLogin(h.t.app);
      await h.prisma.session.update({
        where: { id: sessionIdOf(account.accessToken) },
        data: { idleExpiresAt: new Date(Date.now() - 1_000) },
      });

      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });

    it('rejects a token whose session passed its absolute expiry, however recently it was used', async () => {
      const account = await registerAndLogin(h.t.app);
      const sid = sessionIdOf(account.accessToken);
      const session = await h.prisma.session.update({
        where: { id: sid },
        data: { absoluteExpiresAt: new Date(Date.now() - 1_000) },
      });
      expect(session.idleExpiresAt.getTime()).toBeGreaterThan(Date.now());

      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });
  });
});
