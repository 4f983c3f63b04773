import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { PROJECT } from '@app/config';
import { ACCESS_TOKEN_CLOCK_SKEW_SECONDS } from '../apps/api/src/iam/access-tokens/jwt.strategy.js';
import {
  bearer,
  decodeJwt,
  registerAndLogin,
  sessionIdOf,
  sha256Hex,
  uniqueEmail,
  type TestAccount,
} from './utils/auth.js';
import { expectProblem, INVALID_ACCESS_TOKEN, INVALID_CREDENTIALS, VALIDATION_FAILED } from './utils/problem.js';
import { UUID, ACCESS_TTL, TokenTestApp } from './utils/token-app.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('auth: sign-in and access token verification (e2e)', () => {
  const h = new TokenTestApp();
  const { me, loginRaw, register, signAccessToken } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

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
      expect(h.t.config.auth.jwtIssuer).toBe(PROJECT.name);
      expect(h.t.config.auth.jwtAudience).toBe(PROJECT.name);
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
      expect(() => jwt.verify(body.accessToken, h.t.config.auth.jwtSecret, { algorithms: ['HS256'] })).not.toThrow();

      const sessions = await h.prisma.session.findMany({ where: { userId: id }, include: { refreshTokens: true } });
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.id).toBe(payload.sid);
      expect(sessions[0]?.refreshTokens.map((token) => token.tokenHash)).toEqual([sha256Hex(body.refreshToken)]);

      for (const table of ['users', 'sessions', 'refresh_tokens', 'user_tokens', 'security_events']) {
        const rows = await h.prisma.$queryRawUnsafe<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM ${table} AS row WHERE strpos(row::text, $1) > 0`,
          body.refreshToken,
        );
        expect({ table, rowsWithRawToken: rows[0]?.n }).toEqual({ table, rowsWithRawToken: 0 });
      }
    });

    it('answers an unknown email and a wrong password identically, and in about the same time', async () => {
      const account = await registerAndLogin(h.t.app);
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
      victim = await registerAndLogin(h.t.app);
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
            iss: h.t.config.auth.jwtIssuer,
            aud: h.t.config.auth.jwtAudience,
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
});
