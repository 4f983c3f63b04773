import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createClient } from 'redis';
import { PROJECT } from '@app/config';
import { PrismaService } from '@app/database';
import { ACCESS_TOKEN_CLOCK_SKEW_SECONDS } from '../apps/api/src/iam/access-tokens/jwt.strategy.js';
import { TEST_REDIS_URL } from './setup/test-env.js';
import {
  bearer,
  createAccountWithRole,
  decodeJwt,
  login,
  registerAndLogin,
  sessionIdOf,
  strongPassword,
  uniqueEmail,
  type TestAccount,
} from './utils/auth.js';
import { expectProblem, INVALID_ACCESS_TOKEN } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCESS_TTL = 900;

/** The fixed part of each problem body; `instance` and `requestId` are added per response. */
const INVALID_REFRESH_TOKEN = {
  type: 'urn:problem-type:invalid-refresh-token',
  title: 'Unauthorized',
  status: 401,
  detail: 'The refresh token is invalid, expired or revoked. Sign in again.',
  code: 'INVALID_REFRESH_TOKEN',
};
const REFRESH_TOKEN_REUSED = {
  type: 'urn:problem-type:refresh-token-reused',
  title: 'Unauthorized',
  status: 401,
  detail: 'This refresh token was already used. The session has been revoked for safety; sign in again.',
  code: 'REFRESH_TOKEN_REUSED',
};
const INVALID_CREDENTIALS = {
  type: 'urn:problem-type:invalid-credentials',
  title: 'Unauthorized',
  status: 401,
  detail: 'The email or password is incorrect.',
  code: 'INVALID_CREDENTIALS',
};
const ACCOUNT_DISABLED = {
  type: 'urn:problem-type:account-disabled',
  title: 'Forbidden',
  status: 403,
  detail: 'This account is disabled.',
  code: 'ACCOUNT_DISABLED',
};
const SESSION_NOT_FOUND = {
  type: 'urn:problem-type:session-not-found',
  title: 'Not Found',
  status: 404,
  detail: 'No such session.',
  code: 'SESSION_NOT_FOUND',
};
const VALIDATION_FAILED = {
  type: 'urn:problem-type:validation-failed',
  title: 'Bad Request',
  status: 400,
  detail: 'The request is invalid.',
  code: 'VALIDATION_FAILED',
};

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('auth tokens and sessions (e2e)', () => {
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
  });

  afterAll(async () => {
    await t.close();
  });

  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/v1/users/me', headers });
  const refresh = (refreshToken: string) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  const loginRaw = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload, headers });
  const register = async (email = uniqueEmail(), password = strongPassword()) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password, name: 'Token Tester' },
    });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id as string, email, password };
  };

  /** A token the verifier must accept, apart from what each attack changes. */
  const signAccessToken = (
    claims: Record<string, unknown>,
    options: { secret?: string; algorithm?: jwt.Algorithm; typ?: string; issuer?: string; audience?: string } = {},
  ): string => {
    const algorithm = options.algorithm ?? 'HS256';
    return jwt.sign(claims, options.secret ?? t.config.auth.jwtSecret, {
      algorithm,
      header: { alg: algorithm, typ: options.typ ?? 'at+jwt' },
      issuer: options.issuer ?? t.config.auth.jwtIssuer,
      audience: options.audience ?? t.config.auth.jwtAudience,
      ...('exp' in claims ? {} : { expiresIn: ACCESS_TTL }),
    });
  };

  describe('POST /v1/auth/login', () => {
    it('issues an HS256 at+jwt access token and an opaque refresh token, storing only its sha256', async () => {
      const { id, email, password } = await register();
      const before = Math.floor(Date.now() / 1000);

      const res = await loginRaw({ email, password });

      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'deviceToken', 'expiresIn', 'refreshToken']);
      expect(body.expiresIn).toBe(ACCESS_TTL);
      expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const { header, payload } = decodeJwt(body.accessToken);
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
      expect(t.config.auth.jwtIssuer).toBe(PROJECT.name);
      expect(t.config.auth.jwtAudience).toBe(PROJECT.name);
      expect(payload).toEqual({
        iss: PROJECT.name,
        aud: PROJECT.name,
        sub: id,
        sid: expect.stringMatching(UUID),
        role: 'USER',
        jti: expect.stringMatching(UUID),
        iat: expect.any(Number),
        exp: (payload.iat as number) + ACCESS_TTL,
      });
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      // Signed with the configured secret: the verifier's own library accepts it.
      expect(() => jwt.verify(body.accessToken, t.config.auth.jwtSecret, { algorithms: ['HS256'] })).not.toThrow();

      const sessions = await prisma.session.findMany({ where: { userId: id }, include: { refreshTokens: true } });
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.id).toBe(payload.sid);
      expect(sessions[0]?.refreshTokens.map((token) => token.tokenHash)).toEqual([sha256Hex(body.refreshToken)]);

      for (const table of ['users', 'sessions', 'refresh_tokens', 'user_tokens', 'security_events']) {
        const rows = await prisma.$queryRawUnsafe<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM ${table} AS row WHERE strpos(row::text, $1) > 0`,
          body.refreshToken,
        );
        expect({ table, rowsWithRawToken: rows[0]?.n }).toEqual({ table, rowsWithRawToken: 0 });
      }
    });

    it('answers an unknown email and a wrong password identically, and in about the same time', async () => {
      const account = await registerAndLogin(t.app);
      const unknownEmail = () => loginRaw({ email: uniqueEmail('nobody'), password: account.password });
      const wrongPassword = () => loginRaw({ email: account.email, password: `${account.password}-wrong` });

      const unknown = await unknownEmail();
      const wrong = await wrongPassword();

      expectProblem(unknown, INVALID_CREDENTIALS, '/v1/auth/login');
      expectProblem(wrong, INVALID_CREDENTIALS, '/v1/auth/login');
      const { requestId: _u, instance: _ui, ...unknownRest } = unknown.json();
      const { requestId: _w, instance: _wi, ...wrongRest } = wrong.json();
      expect(JSON.stringify(unknownRest)).toBe(JSON.stringify(wrongRest));

      // Interleaved, after the warm-up above: guards the dummy-hash defence, not performance.
      const unknownMs: number[] = [];
      const wrongMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        for (const [attempt, times] of [
          [unknownEmail, unknownMs],
          [wrongPassword, wrongMs],
        ] as const) {
          const started = performance.now();
          const res = await attempt();
          times.push(performance.now() - started);
          expect(res.statusCode).toBe(401);
        }
      }
      expect(median(unknownMs)).toBeGreaterThanOrEqual(0.5 * median(wrongMs));
    });

    it.each([
      [
        'a missing password',
        { email: 'someone@example.com' },
        [
          { field: 'password', message: 'password must be longer than or equal to 1 characters' },
          { field: 'password', message: 'password must be a string' },
        ],
      ],
      [
        'an email that is not one',
        { email: 'not-an-email', password: 'whatever' },
        [{ field: 'email', message: 'email must be an email' }],
      ],
      [
        'an extra field',
        { email: 'someone@example.com', password: 'whatever', role: 'ADMIN' },
        [{ field: 'role', message: 'property role should not exist' }],
      ],
    ])('rejects %s with a 400 listing the field errors', async (_label, payload, errors) => {
      const res = await loginRaw(payload);

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/login', { errors });
    });
  });

  describe('access token verification on GET /v1/users/me', () => {
    let victim: TestAccount;
    let claims: () => Record<string, unknown>;

    beforeAll(async () => {
      victim = await registerAndLogin(t.app);
      claims = () => ({ sub: victim.id, sid: sessionIdOf(victim.accessToken), role: 'USER', jti: randomUUID() });
    });

    it('accepts a token crafted like the real ones (the control for every attack below)', async () => {
      const res = await me(bearer(signAccessToken(claims())));

      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(victim.id);
    });

    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = () => Math.floor(Date.now() / 1000);

    it.each<[string, () => Record<string, string>]>([
      [
        'an unsigned alg:none token',
        () => {
          const payload = {
            ...claims(),
            iss: t.config.auth.jwtIssuer,
            aud: t.config.auth.jwtAudience,
            iat: now(),
            exp: now() + 600,
          };
          return bearer(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`);
        },
      ],
      [
        'a token signed with another secret',
        () => bearer(signAccessToken(claims(), { secret: 'another-secret-of-at-least-32-characters!!' })),
      ],
      [
        'a token signed with HS512 and the right secret',
        () => bearer(signAccessToken(claims(), { algorithm: 'HS512' })),
      ],
      [
        'a token signed with HS384 and the right secret',
        () => bearer(signAccessToken(claims(), { algorithm: 'HS384' })),
      ],
      [
        'an expired token',
        () => bearer(signAccessToken({ ...claims(), iat: now() - 2 * ACCESS_TTL, exp: now() - 60 })),
      ],
      // OWASP ASVS 5.0 9.2.1: a token is accepted only within its validity time span. Minted for an
      // hour from now, it would pass jsonwebtoken's checks (exp, iat + maxAge) until long after that.
      ['a token whose iat lies an hour ahead', () => bearer(signAccessToken({ ...claims(), iat: now() + 3600 }))],
      [
        'a token whose iat lies just beyond the clock skew',
        () => bearer(signAccessToken({ ...claims(), iat: now() + ACCESS_TOKEN_CLOCK_SKEW_SECONDS + 5 })),
      ],
      ['a token for another audience', () => bearer(signAccessToken(claims(), { audience: 'another-api' }))],
      ['a token from another issuer', () => bearer(signAccessToken(claims(), { issuer: 'another-issuer' }))],
      ["a token with typ 'JWT' instead of 'at+jwt'", () => bearer(signAccessToken(claims(), { typ: 'JWT' }))],
      [
        'a token without sid',
        () => {
          const { sid: _sid, ...rest } = claims();
          return bearer(signAccessToken(rest));
        },
      ],
      [
        'a real token whose payload was edited (role ADMIN)',
        () => {
          const [header, , signature] = victim.accessToken.split('.');
          const { payload } = decodeJwt(victim.accessToken);
          return bearer(`${header}.${b64({ ...payload, role: 'ADMIN' })}.${signature}`);
        },
      ],
      ['the refresh token as a bearer token', () => bearer(victim.refreshToken)],
      ['a garbage bearer token', () => bearer('not.a.jwt')],
      ['an empty bearer token', () => ({ authorization: 'Bearer ' })],
      ['no Authorization header', () => ({})],
    ])('rejects %s with 401 INVALID_ACCESS_TOKEN', async (_label, headers) => {
      const res = await me(headers());

      expectProblem(res, INVALID_ACCESS_TOKEN, '/v1/users/me');
    });

    it('accepts an iat a little ahead (another clock within the skew), and refuses a future one every time', async () => {
      const early = bearer(signAccessToken({ ...claims(), iat: now() + ACCESS_TOKEN_CLOCK_SKEW_SECONDS - 10 }));
      const future = bearer(signAccessToken({ ...claims(), iat: now() + 3600 }));

      expect((await me(early)).statusCode).toBe(200);
      // Seen again, a token skips signature verification (verified-tokens.ts); never its claim checks.
      expect((await me(early)).statusCode).toBe(200);
      for (let i = 0; i < 2; i++) expectProblem(await me(future), INVALID_ACCESS_TOKEN, '/v1/users/me');
    });
  });

  describe('POST /v1/auth/refresh', () => {
    it('rotates: a new pair for the same session, and the new refresh token works once more', async () => {
      const account = await registerAndLogin(t.app);

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
      const account = await registerAndLogin(t.app);
      const otherDevice = await login(t.app, account.email, account.password);
      const sid = sessionIdOf(account.accessToken);
      const rotated = await refresh(account.refreshToken);
      expect(rotated.statusCode).toBe(200);
      const newest = rotated.json();

      const reuse = await refresh(account.refreshToken);

      expectProblem(reuse, REFRESH_TOKEN_REUSED, '/v1/auth/refresh');
      expectProblem(await refresh(newest.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(await me(bearer(newest.accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await me(account.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');

      const events = await prisma.securityEvent.findMany({
        where: { userId: account.id, type: 'REFRESH_TOKEN_REUSED' },
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ sessionId: sid, details: { sessionWasActive: true } });
      await expect(prisma.session.findUniqueOrThrow({ where: { id: sid } })).resolves.toMatchObject({
        revokedAt: expect.any(Date),
        revokedReason: 'TOKEN_REUSE',
      });

      expect((await me(bearer(otherDevice.accessToken))).statusCode).toBe(200);
      expect((await refresh(otherDevice.refreshToken)).statusCode).toBe(200);
    });

    it('lets exactly one of two concurrent refreshes with the same token win, then revokes the session', async () => {
      const account = await registerAndLogin(t.app);
      const sessions = [
        { accessToken: account.accessToken, refreshToken: account.refreshToken },
        await login(t.app, account.email, account.password),
        await login(t.app, account.email, account.password),
      ];

      for (const session of sessions) {
        const sid = sessionIdOf(session.accessToken);

        const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);

        expect(results.map((res) => res.statusCode).sort()).toEqual([200, 401]);
        const winner = results.find((res) => res.statusCode === 200);
        const loser = results.find((res) => res.statusCode === 401);
        if (!winner || !loser) throw new Error('expected one winner and one loser');
        expectProblem(loser, REFRESH_TOKEN_REUSED, '/v1/auth/refresh');
        await expect(prisma.session.findUniqueOrThrow({ where: { id: sid } })).resolves.toMatchObject({
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
      const res = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', ...(payload ? { payload } : {}) });

      const shapeError = { field: 'refreshToken', message: 'refreshToken must be a 43-character token as issued' };
      const errors =
        payload && 'refreshToken' in payload
          ? [shapeError]
          : [{ field: 'refreshToken', message: 'refreshToken must be a string' }, shapeError];
      expectProblem(res, VALIDATION_FAILED, '/v1/auth/refresh', { errors });
    });

    it('rejects a token whose session passed its idle expiry', async () => {
      const account = await registerAndLogin(t.app);
      await prisma.session.update({
        where: { id: sessionIdOf(account.accessToken) },
        data: { idleExpiresAt: new Date(Date.now() - 1_000) },
      });

      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });

    it('rejects a token whose session passed its absolute expiry, however recently it was used', async () => {
      const account = await registerAndLogin(t.app);
      const sid = sessionIdOf(account.accessToken);
      const session = await prisma.session.update({
        where: { id: sid },
        data: { absoluteExpiresAt: new Date(Date.now() - 1_000) },
      });
      expect(session.idleExpiresAt.getTime()).toBeGreaterThan(Date.now());

      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
    });
  });

  describe('logout', () => {
    it('ends the current session at once (access and refresh token), and only that one', async () => {
      const account = await registerAndLogin(t.app);
      const otherDevice = await login(t.app, account.email, account.password);

      const res = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth });

      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectProblem(await me(account.auth), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await refresh(account.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(
        await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth }),
        INVALID_ACCESS_TOKEN,
        '/v1/auth/logout',
      );
      expect((await me(bearer(otherDevice.accessToken))).statusCode).toBe(200);
      expect((await refresh(otherDevice.refreshToken)).statusCode).toBe(200);
    });

    it('logout-all ends every session of the caller, the calling one included', async () => {
      const account = await registerAndLogin(t.app);
      const devices = [
        { accessToken: account.accessToken, refreshToken: account.refreshToken },
        await login(t.app, account.email, account.password),
        await login(t.app, account.email, account.password),
      ];

      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/logout-all',
        headers: bearer(devices[1]?.accessToken ?? ''),
      });

      expect(res.statusCode).toBe(204);
      for (const device of devices) {
        expectProblem(await me(bearer(device.accessToken)), INVALID_ACCESS_TOKEN, '/v1/users/me');
        expectProblem(await refresh(device.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      }
      const sessions = await prisma.session.findMany({ where: { userId: account.id } });
      expect(sessions.map((session) => session.revokedReason)).toEqual(['LOGOUT_ALL', 'LOGOUT_ALL', 'LOGOUT_ALL']);

      const again = await login(t.app, account.email, account.password);
      expect((await me(bearer(again.accessToken))).statusCode).toBe(200);
    });
  });

  describe('GET and DELETE /v1/auth/sessions', () => {
    const listSessions = (headers: Record<string, string>) =>
      t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers });
    const deleteSession = (headers: Record<string, string>, id: string) =>
      t.app.inject({ method: 'DELETE', url: `/v1/auth/sessions/${id}`, headers });

    it('lists my active sessions with their device, marking the caller as current; revoked ones disappear', async () => {
      const { email, password } = await register();
      const phone = await login(t.app, email, password, { 'user-agent': 'PhoneApp/1.0 (test)' });
      const laptop = await login(t.app, email, password, { 'user-agent': 'LaptopBrowser/2.0 (test)' });
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

      await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(phone.accessToken) });

      const after = await listSessions(bearer(laptop.accessToken));
      expect(after.json()).toEqual([entry(laptopSid, 'LaptopBrowser/2.0 (test)', true)]);
    });

    it('revokes another of my sessions: its tokens stop working, mine keep working', async () => {
      const account = await registerAndLogin(t.app);
      const tablet = await login(t.app, account.email, account.password, { 'user-agent': 'Tablet/3.0' });
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
      const account = await registerAndLogin(t.app);

      const res = await deleteSession(account.auth, 'not-a-uuid');

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/sessions/not-a-uuid', {
        errors: [{ field: 'id', message: 'id must be a UUID' }],
      });
    });

    it('answers 404 SESSION_NOT_FOUND for an unknown session id', async () => {
      const account = await registerAndLogin(t.app);
      const id = randomUUID();

      expectProblem(await deleteSession(account.auth, id), SESSION_NOT_FOUND, `/v1/auth/sessions/${id}`);
    });

    it("answers 404 for another user's session id, which keeps working (no BOLA)", async () => {
      const attacker = await registerAndLogin(t.app);
      const victim = await registerAndLogin(t.app);
      const victimSid = sessionIdOf(victim.accessToken);

      const res = await deleteSession(attacker.auth, victimSid);

      expectProblem(res, SESSION_NOT_FOUND, `/v1/auth/sessions/${victimSid}`);
      await expect(prisma.session.findUniqueOrThrow({ where: { id: victimSid } })).resolves.toMatchObject({
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
      const admin = await createAccountWithRole(t.app, 'ADMIN');
      const user = await registerAndLogin(t.app);
      const setStatus = (status: string) =>
        t.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: admin.auth, payload: { status } });

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
      if (process.env.TEST_REDIS_MODE !== 'redis') return expect(t.config.cache.redisUrl).toBeUndefined();
      const account = await registerAndLogin(t.app);
      const key = `${t.cachePrefix}:auth:revoked-sessions`;
      const sessionId = sessionIdOf(account.accessToken);
      const redis = createClient({ url: TEST_REDIS_URL });
      await redis.connect();
      try {
        expect(await redis.zScore(key, sessionId)).toBeNull();

        const before = Date.now();
        await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth });

        // Member: the session; score: when its last access token expires.
        const expiresAt = await redis.zScore(key, sessionId);
        expect(expiresAt).toBeGreaterThanOrEqual(before + ACCESS_TTL * 1000);
        expect(expiresAt).toBeLessThanOrEqual(Date.now() + t.config.auth.accessTokenTtlSeconds * 1000);
        // The key itself lives no longer than its latest member.
        expect(await redis.pTTL(key)).toBeGreaterThan(0);
      } finally {
        await redis.quit();
      }
    });

    it('needs no database query on an authenticated request (sessions and users tables out of reach)', async () => {
      const account = await registerAndLogin(t.app);
      const revoked = await login(t.app, account.email, account.password);
      await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(revoked.accessToken) });
      expect((await me(account.auth)).statusCode).toBe(200); // fills the `me` cache

      // Renamed tables make any query on them fail, so a request that still succeeds read neither.
      await prisma.$executeRawUnsafe('ALTER TABLE sessions RENAME TO sessions_out_of_reach');
      await prisma.$executeRawUnsafe('ALTER TABLE users RENAME TO users_out_of_reach');
      try {
        const ok = await me(account.auth);
        const refused = await me(bearer(revoked.accessToken));
        // The control: a route that does read the sessions table fails now.
        const list = await t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: account.auth });

        expect(ok.statusCode).toBe(200);
        expect(ok.json().id).toBe(account.id);
        expectProblem(refused, INVALID_ACCESS_TOKEN, '/v1/users/me');
        expect(list.json()).toMatchObject({ status: 503, code: 'DATABASE_NOT_MIGRATED' });
      } finally {
        await prisma.$executeRawUnsafe('ALTER TABLE users_out_of_reach RENAME TO users');
        await prisma.$executeRawUnsafe('ALTER TABLE sessions_out_of_reach RENAME TO sessions');
      }
    });
  });
});
