import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { TEST_REDIS_URL } from './setup/test-env.js';
import { bearer, createAccountWithRole, login, registerAndLogin, sessionIdOf } from './utils/auth.js';
import { expectProblem, INVALID_ACCESS_TOKEN, INVALID_CREDENTIALS, VALIDATION_FAILED } from './utils/problem.js';
import {
  ACCESS_TTL,
  INVALID_REFRESH_TOKEN,
  ACCOUNT_DISABLED,
  SESSION_NOT_FOUND,
  TokenTestApp,
} from './utils/token-app.js';

describe('auth: logout, the session list, disabled users and revocation (e2e)', () => {
  const h = new TokenTestApp();
  const { me, refresh, loginRaw, register } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('logout', () => {
    it('ends the current session at once (access and refresh token), and only that one', async () => {
      const account = await registerAndLogin(h.t.app);
      const otherDevice = await login(h.t.app, account.email, account.password);

      const res = await h.t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth });

      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectProblem(await me(account.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(
        await h.t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth }),
        INVALID_ACCESS_TOKEN,
        '/v1/auth/logout',
      );
      expect((await me(bearer(otherDevice.accessToken))).statusCode).toBe(200);
      expect((await refresh(otherDevice.refreshToken)).statusCode).toBe(200);
    });

    it('logout-all ends every session of the caller, the calling one included', async () => {
      const account = await registerAndLogin(h.t.app);
      const devices = [
        { accessToken: account.accessToken, refreshToken: account.refreshToken },
        await login(h.t.app, account.email, account.password),
        await login(h.t.app, account.email, account.password),
      ];

      const res = await h.t.app.inject({
        method: 'POST',
        url: '/v1/auth/logout-all',
        headers: bearer(devices[1]?.accessToken ?? ''),
      });

      expect(res.statusCode).toBe(204);
      for (const device of devices) {
        expectProblem(await me(bearer(device.accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
        expectProblem(await refresh(device.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      }
      const sessions = await h.prisma.session.findMany({ where: { userId: account.id } });
      expect(sessions.map((session) => session.revokedReason)).toEqual(['LOGOUT_ALL', 'LOGOUT_ALL', 'LOGOUT_ALL']);

      const again = await login(h.t.app, account.email, account.password);
      expect((await me(bearer(again.accessToken))).statusCode).toBe(200);
    });
  });

  describe('GET and DELETE /v1/auth/sessions', () => {
    const listSessions = (headers: Record<string, string>) =>
      h.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers });
    const deleteSession = (headers: Record<string, string>, id: string) =>
      h.t.app.inject({ method: 'DELETE', url: `/v1/auth/sessions/${id}`, headers });

    it('lists my active sessions with their device, marking the caller as current; revoked ones disappear', async () => {
      const { email, password } = await register();
      const phone = await login(h.t.app, email, password, { 'user-agent': 'PhoneApp/1.0 (test)' });
      const laptop = await login(h.t.app, email, password, { 'user-agent': 'LaptopBrowser/2.0 (test)' });
      const phoneSid = sessionIdOf(phone.accessToken);
      const laptopSid = sessionIdOf(laptop.accessToken);

      const fromLaptop = await listSessions(bearer(laptop.accessToken));

      expect(fromLaptop.statusCode).toBe(200);
      const entry = (id: string, device: string, current: boolean) => ({
        id,
        device,
        ip: '127.0.0.1',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastUsedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        current,
      });
      expect(fromLaptop.json()).toEqual([
        entry(laptopSid, 'LaptopBrowser/2.0 (test)', true),
        entry(phoneSid, 'PhoneApp/1.0 (test)', false),
      ]);
      const fromPhone = await listSessions(bearer(phone.accessToken));
      expect(
        fromPhone
          .json()
          .filter((session: { current: boolean }) => session.current)
          .map((session: { id: string }) => session.id),
      ).toEqual([phoneSid]);

      await h.t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(phone.accessToken) });

      const after = await listSessions(bearer(laptop.accessToken));
      expect(after.json()).toEqual([entry(laptopSid, 'LaptopBrowser/2.0 (test)', true)]);
    });

    it('revokes another of my sessions: its tokens stop working, mine keep working', async () => {
      const account = await registerAndLogin(h.t.app);
      const tablet = await login(h.t.app, account.email, account.password, { 'user-agent': 'Tablet/3.0' });
      const tabletSid = sessionIdOf(tablet.accessToken);

      const res = await deleteSession(account.auth, tabletSid);

      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectProblem(await me(bearer(tablet.accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await refresh(tablet.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      const listed = await listSessions(account.auth);
      expect(listed.json().map((session: { id: string }) => session.id)).toEqual([sessionIdOf(account.accessToken)]);
      expect((await me(account.auth)).statusCode).toBe(200);
      // Already revoked: nothing left to revoke.
      expectProblem(await deleteSession(account.auth, tabletSid), SESSION_NOT_FOUND, `/v1/auth/sessions/${tabletSid}`);
    });

    it('rejects a session id that is not a uuid with a 400', async () => {
      const account = await registerAndLogin(h.t.app);

      const res = await deleteSession(account.auth, 'not-a-uuid');

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/sessions/not-a-uuid', {
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      });
    });

    it('answers 404 SESSION_NOT_FOUND for an unknown session id', async () => {
      const account = await registerAndLogin(h.t.app);
      const id = randomUUID();

      expectProblem(await deleteSession(account.auth, id), SESSION_NOT_FOUND, `/v1/auth/sessions/${id}`);
    });

    it("answers 404 for another user's session id, which keeps working (no BOLA)", async () => {
      const attacker = await registerAndLogin(h.t.app);
      const victim = await registerAndLogin(h.t.app);
      const victimSid = sessionIdOf(victim.accessToken);

      const res = await deleteSession(attacker.auth, victimSid);

      expectProblem(res, SESSION_NOT_FOUND, `/v1/auth/sessions/${victimSid}`);
      await expect(h.prisma.session.findUniqueOrThrow({ where: { id: victimSid } })).resolves.toMatchObject({
        revokedAt: null,
      });
      expect((await me(victim.auth)).statusCode).toBe(200);
      expect((await refresh(victim.refreshToken)).statusCode).toBe(200);
      const attackerList = await listSessions(attacker.auth);
      expect(attackerList.json().map((session: { id: string }) => session.id)).toEqual([
        sessionIdOf(attacker.accessToken),
      ]);
    });

    it('requires an access token', async () => {
      expectProblem(await listSessions({}), INVALID_ACCESS_TOKEN, '/v1/auth/sessions');
    });
  });

  describe('disabled user', () => {
    it('is signed out at once and cannot sign in until re-enabled', async () => {
      const admin = await createAccountWithRole(h.t.app, 'ADMIN');
      const user = await registerAndLogin(h.t.app);
      const setStatus = (status: string) =>
        h.t.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: admin.auth, payload: { status } });

      const disabled = await setStatus('DISABLED');

      expect(disabled.statusCode).toBe(200);
      expect(disabled.json()).toMatchObject({ id: user.id, status: 'DISABLED' });
      expectProblem(await me(user.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await refresh(user.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(await loginRaw({ email: user.email, password: user.password }), ACCOUNT_DISABLED, '/v1/auth/login');
      // Without the right password, a disabled account looks like any failed login.
      expectProblem(
        await loginRaw({ email: user.email, password: `${user.password}-wrong` }),
        INVALID_CREDENTIALS,
        '/v1/auth/login',
      );

      const enabled = await setStatus('ACTIVE');

      expect(enabled.statusCode).toBe(200);
      expect(enabled.json()).toMatchObject({ id: user.id, status: 'ACTIVE' });
      const again = await loginRaw({ email: user.email, password: user.password });
      expect(again.statusCode).toBe(200);
      expect((await me(bearer(again.json().accessToken))).statusCode).toBe(200);
      // Re-enabling does not bring the old sessions back.
      expectProblem(await me(user.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await refresh(user.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });
  });

  describe('revocation check', () => {
    it('records a revoked session as a marker in Redis that lives as long as its access tokens can', async () => {
      if (process.env.TEST_REDIS_MODE !== 'redis') return expect(h.t.config.cache.redisUrl).toBeUndefined();
      const account = await registerAndLogin(h.t.app);
      const key = `${h.t.cachePrefix}:auth:revoked-sessions`;
      const sessionId = sessionIdOf(account.accessToken);
      const redis = createClient({ url: TEST_REDIS_URL });
      await redis.connect();
      try {
        expect(await redis.zScore(key, sessionId)).toBeNull();

        const before = Date.now();
        await h.t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth });

        // Member: the session; score: when its last access token expires.
        const expiresAt = await redis.zScore(key, sessionId);
        expect(expiresAt).toBeGreaterThanOrEqual(before + ACCESS_TTL * 1000);
        expect(expiresAt).toBeLessThanOrEqual(Date.now() + h.t.config.auth.accessTokenTtlSeconds * 1000);
        // The key itself lives no longer than its latest member.
        expect(await redis.pTTL(key)).toBeGreaterThan(0);
      } finally {
        await redis.close();
      }
    });

    it('needs no database query on an authenticated request (sessions and users tables out of reach)', async () => {
      const account = await registerAndLogin(h.t.app);
      const revoked = await login(h.t.app, account.email, account.password);
      await h.t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(revoked.accessToken) });
      expect((await me(account.auth)).statusCode).toBe(200); // fills the `me` cache

      // Renamed tables make any query on them fail, so a request that still succeeds read neither.
      await h.prisma.$executeRawUnsafe('ALTER TABLE sessions RENAME TO sessions_out_of_reach');
      await h.prisma.$executeRawUnsafe('ALTER TABLE users RENAME TO users_out_of_reach');
      try {
        const ok = await me(account.auth);
        const refused = await me(bearer(revoked.accessToken));
        // The control: a route that does read the sessions table fails now.
        const list = await h.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: account.auth });

        expect(ok.statusCode).toBe(200);
        expect(ok.json().id).toBe(account.id);
        expectProblem(refused, INVALID_ACCESS_TOKEN, '/v1/users/me');
        expect(list.json()).toMatchObject({ status: 503, code: 'DATABASE_NOT_MIGRATED' });
      } finally {
        await h.prisma.$executeRawUnsafe('ALTER TABLE users_out_of_reach RENAME TO users');
        await h.prisma.$executeRawUnsafe('ALTER TABLE sessions_out_of_reach RENAME TO sessions');
      }
    });
  });
});
