import { describe, expect, it } from 'vitest';
import { JwtService } from '@nestjs/jwt';
import { makeConfig } from '../../../../../test/utils/builders.js';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE, AccessTokens, accessTokenJwtOptions } from './access-tokens.js';

const config = makeConfig();

describe(AccessTokens.name, () => {
  const jwt = new JwtService(accessTokenJwtOptions(config));
  const sut = new AccessTokens(jwt);

  it('signs the user, the session and the role as sub, sid and role, verifiable with the configured key', async () => {
    const token = await sut.sign({ id: 'user-1', role: 'ADMIN' }, 'session-1');

    await expect(jwt.verifyAsync(token)).resolves.toMatchObject({ sub: 'user-1', sid: 'session-1', role: 'ADMIN' });
  });

  it('adds the issuer, the audience and an expiry of the access token lifetime', async () => {
    const claims = await jwt.verifyAsync<{ iss: string; aud: string; iat: number; exp: number }>(
      await sut.sign({ id: 'user-1', role: 'USER' }, 'session-1'),
    );

    expect(claims).toMatchObject({ iss: config.auth.jwtIssuer, aud: config.auth.jwtAudience });
    expect(claims.exp - claims.iat).toBe(config.auth.accessTokenTtlSeconds);
  });

  it('marks the token as an access token in its header (typ at+jwt, HS256)', async () => {
    const token = await sut.sign({ id: 'user-1', role: 'USER' }, 'session-1');

    expect(jwt.decode(token, { complete: true })).toMatchObject({
      header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
    });
  });

  it('gives every token a jti of its own, the same user and session signed twice included', async () => {
    const user = { id: 'user-1', role: 'USER' } as const;
    const [first, second] = await Promise.all([sut.sign(user, 'session-1'), sut.sign(user, 'session-1')]);
    const jtiOf = (token: string) => jwt.decode<{ jti: string }>(token).jti;

    expect(jtiOf(first)).toMatch(/^[0-9a-f-]{36}$/);
    expect(jtiOf(first)).not.toBe(jtiOf(second));
  });
});
