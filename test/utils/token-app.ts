import { expect } from 'vitest';
import jwt from 'jsonwebtoken';
import { PrismaService } from '@app/database';
import { strongPassword, uniqueEmail } from './auth.js';
import { createTestApp, type TestApp } from './test-app.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The access token lifetime of the test apps, in seconds. */
export const ACCESS_TTL = 900;

/** The fixed part of each problem body; `instance` and `requestId` are added per response. */
export const INVALID_REFRESH_TOKEN = {
  type: 'urn:problem-type:invalid-refresh-token',
  title: 'Unauthorized',
  status: 401,
  detail: 'The refresh token is invalid, expired or revoked. Sign in again.',
  code: 'INVALID_REFRESH_TOKEN',
};
export const REFRESH_TOKEN_REUSED = {
  type: 'urn:problem-type:refresh-token-reused',
  title: 'Unauthorized',
  status: 401,
  detail: 'This refresh token was already used. The session has been revoked for safety; sign in again.',
  code: 'REFRESH_TOKEN_REUSED',
};
export const ACCOUNT_DISABLED = {
  type: 'urn:problem-type:account-disabled',
  title: 'Forbidden',
  status: 403,
  detail: 'This account is disabled.',
  code: 'ACCOUNT_DISABLED',
};
export const SESSION_NOT_FOUND = {
  type: 'urn:problem-type:session-not-found',
  title: 'Not Found',
  status: 404,
  detail: 'No such session.',
  code: 'SESSION_NOT_FOUND',
};

/**
 * The app that token and session tests sign in to, and their calls: login, refresh, the caller
 * itself, and access tokens signed like the real ones. `start()` in a beforeAll, `close()` in
 * the afterAll.
 */
export class TokenTestApp {
  t!: TestApp;
  prisma!: PrismaService;

  async start(): Promise<void> {
    this.t = await createTestApp();
    this.prisma = this.t.app.get(PrismaService);
  }

  async close(): Promise<void> {
    await this.t.close();
  }

  readonly me = (headers: Record<string, string>) => this.t.app.inject({ method: 'GET', url: '/v1/users/me', headers });
  readonly refresh = (refreshToken: string) =>
    this.t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  readonly loginRaw = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    this.t.app.inject({ method: 'POST', url: '/v1/auth/login', payload, headers });
  readonly register = async (email = uniqueEmail(), password = strongPassword()) => {
    const res = await this.t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password, name: 'Token Tester' },
    });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id as string, email, password };
  };

  /** A token the verifier must accept, apart from what each attack changes. */
  readonly signAccessToken = (
    claims: Record<string, unknown>,
    options: { secret?: string; algorithm?: jwt.Algorithm; typ?: string; issuer?: string; audience?: string } = {},
  ): string => {
    const algorithm = options.algorithm ?? 'HS256';
    const { auth } = this.t.config;
    return jwt.sign(claims, options.secret ?? auth.jwtSecret, {
      algorithm,
      header: { alg: algorithm, typ: options.typ ?? 'at+jwt' },
      issuer: options.issuer ?? auth.jwtIssuer,
      audience: options.audience ?? auth.jwtAudience,
      ...('exp' in claims ? {} : { expiresIn: ACCESS_TTL }),
    });
  };
}
