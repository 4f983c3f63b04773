import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { makeConfig } from '../../../../../test/utils/builders.js';
import { InvalidAccessTokenError } from '../iam.errors.js';
import type { RevokedSessions } from '../revocation/revoked-sessions.js';
import { ACCESS_TOKEN_TYPE } from './access-tokens.js';
import { ACCESS_TOKEN_CLOCK_SKEW_SECONDS, JwtStrategy } from './jwt.strategy.js';

type DecodedToken = Parameters<JwtStrategy['validate']>[1];

/** An access token as passport-jwt hands it over once its signature, issuer, audience and lifetime are verified. */
function makeDecodedToken(payload: Record<string, unknown> = {}, header: DecodedToken['header'] = {}): DecodedToken {
  return {
    header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE, ...header },
    payload: {
      sub: 'user-1',
      sid: 'session-1',
      role: 'USER',
      jti: 'token-1',
      iat: Math.floor(Date.now() / 1000),
      ...payload,
    },
  };
}

const request = { headers: {} } as FastifyRequest;

describe(JwtStrategy.name, () => {
  let revoked: { isRevoked: Mock<RevokedSessions['isRevoked']> };
  let sut: JwtStrategy;

  beforeEach(() => {
    revoked = { isRevoked: vi.fn<RevokedSessions['isRevoked']>().mockResolvedValue(false) };
    sut = new JwtStrategy(makeConfig(), revoked as unknown as RevokedSessions);
  });

  it('answers the caller named by the claims once the session is found not revoked', async () => {
    await expect(sut.validate(request, makeDecodedToken({ role: 'ADMIN' }))).resolves.toEqual({
      id: 'user-1',
      sessionId: 'session-1',
      role: 'ADMIN',
    });
    expect(revoked.isRevoked).toHaveBeenCalledWith('session-1');
  });

  it('refuses a token of the session revoked', async () => {
    revoked.isRevoked.mockResolvedValue(true);

    await expect(sut.validate(request, makeDecodedToken())).rejects.toThrow(InvalidAccessTokenError);
  });

  it.each([
    ['an ID token', { typ: 'JWT' }],
    ['a token without typ', { typ: undefined }],
  ])('refuses %s (typ other than at+jwt), before the revocation lookup', async (_kind, header) => {
    await expect(sut.validate(request, makeDecodedToken({}, header))).rejects.toThrow(InvalidAccessTokenError);
    expect(revoked.isRevoked).not.toHaveBeenCalled();
  });

  it('accepts an iat up to the clock skew ahead, and refuses one beyond it', async () => {
    const now = Math.floor(Date.now() / 1000);

    await expect(
      sut.validate(request, makeDecodedToken({ iat: now + ACCESS_TOKEN_CLOCK_SKEW_SECONDS - 1 })),
    ).resolves.toBeDefined();
    await expect(
      sut.validate(request, makeDecodedToken({ iat: now + ACCESS_TOKEN_CLOCK_SKEW_SECONDS + 2 })),
    ).rejects.toThrow(InvalidAccessTokenError);
  });

  it.each([
    ['a role that does not exist', { role: 'ROOT' }],
    ['no iat', { iat: undefined }],
    ['an iat that is not a number', { iat: '1773230400' }],
    ['no subject', { sub: undefined }],
    ['a session id that is not a string', { sid: 42 }],
    ['no jti', { jti: undefined }],
  ])('refuses a token with %s', async (_kind, claims) => {
    await expect(sut.validate(request, makeDecodedToken(claims))).rejects.toThrow(InvalidAccessTokenError);
    expect(revoked.isRevoked).not.toHaveBeenCalled();
  });

  it('fails with the revocation lookup’s own error when it cannot answer', async () => {
    const failure = new Error('database unavailable');
    revoked.isRevoked.mockRejectedValue(failure);

    await expect(sut.validate(request, makeDecodedToken())).rejects.toBe(failure);
  });
});
