import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Role } from '@app/database';
import { makeConfig, makeHttpContext } from '../../../../../test/utils/builders.js';
import type { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator.js';
import type { AuthUser } from '../auth-user.js';
import { ApiKeyScope } from '../decorators/api-key-scope.decorator.js';
import { Auth } from '../decorators/auth.decorator.js';
import { Public } from '../decorators/public.decorator.js';
import {
  ApiKeyNotAcceptedError,
  ApiKeyScopeMissingError,
  InsufficientPermissionsError,
  InvalidAccessTokenError,
  InvalidApiKeyError,
} from '../iam.errors.js';
import { Permission } from '../permissions.js';
import type { RevokedSessions } from '../revocation/revoked-sessions.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AccessTokens, accessTokenJwtOptions } from './access-tokens.js';
import { JwtStrategy } from './jwt.strategy.js';

const config = makeConfig();

/** Signs access tokens as IamModule does (`secret` another key). */
function makeAccessTokens({ secret = config.auth.jwtSecret } = {}): AccessTokens {
  return new AccessTokens(new JwtService({ ...accessTokenJwtOptions(config), secret }));
}

class RoutesController {
  open(): void {}
  @Public()
  publicRoute(): void {}
  @Auth()
  signedIn(): void {}
  @Auth(Permission.UsersWrite)
  adminOnly(): void {}
  @Auth()
  @ApiKeyScope(Permission.ProfileRead)
  profileRead(): void {}
  @Auth(Permission.UsersRead)
  @ApiKeyScope(Permission.UsersRead)
  usersRead(): void {}
}

const API_KEY = `nsk_${'a'.repeat(12)}_${'b'.repeat(44)}`;

/** The owner an API key authenticates as: `scopes` are the key's. */
function makeKeyUser({
  role = 'USER' as Role,
  scopes = [Permission.ProfileRead] as NonNullable<AuthUser['apiKey']>['scopes'],
} = {}): AuthUser {
  return { id: 'user-1', sessionId: null, role, apiKey: { id: 'key-1', scopes } };
}

/** A request to one of RoutesController's routes, with `Authorization: Bearer <token>` when given. */
function requestTo(route: keyof RoutesController, token?: string) {
  const request: { headers: Record<string, string>; user?: AuthUser } = {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  };
  const context = makeHttpContext({
    request,
    handler: RoutesController.prototype[route],
    controller: RoutesController,
  });
  return { request, context };
}

describe(AccessTokenGuard.name, () => {
  const tokens = makeAccessTokens();
  let revoked: { isRevoked: Mock<RevokedSessions['isRevoked']> };
  let sut: AccessTokenGuard;
  let apiKeys: { authenticate: Mock<ApiKeyAuthenticator['authenticate']> };

  const makeRevokedSessions = (isRevoked = false) => ({
    isRevoked: vi.fn<RevokedSessions['isRevoked']>().mockResolvedValue(isRevoked),
  });
  const makeStrategy = (revokedSessions: typeof revoked) =>
    new JwtStrategy(config, revokedSessions as unknown as RevokedSessions);

  beforeEach(() => {
    apiKeys = { authenticate: vi.fn<ApiKeyAuthenticator['authenticate']>().mockResolvedValue(makeKeyUser()) };
    revoked = makeRevokedSessions();
    sut = new AccessTokenGuard(new Reflector(), makeStrategy(revoked), apiKeys as unknown as ApiKeyAuthenticator);
  });

  const sign = (role: Role = 'USER', signer = tokens, id = 'user-1') => signer.sign({ id, role }, 'session-1');

  it('lets a @Public() route through without a token, verifying nothing', async () => {
    await expect(sut.canActivate(requestTo('publicRoute').context)).resolves.toBe(true);
    expect(revoked.isRevoked).not.toHaveBeenCalled();
  });

  it('denies by default: a route without a decorator needs a token too', async () => {
    await expect(sut.canActivate(requestTo('open').context)).rejects.toThrow(InvalidAccessTokenError);
  });

  it('puts the verified caller on the request', async () => {
    const { request, context } = requestTo('signedIn', await sign());

    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.user).toEqual({ id: 'user-1', sessionId: 'session-1', role: 'USER' });
  });

  it('refuses a token signed with another key, and one that is not a token, as INVALID_ACCESS_TOKEN', async () => {
    const forged = await sign('ADMIN', makeAccessTokens({ secret: 'another-secret-'.repeat(3) }));

    await expect(sut.canActivate(requestTo('signedIn', forged).context)).rejects.toThrow(InvalidAccessTokenError);
    await expect(sut.canActivate(requestTo('signedIn', 'not-a-jwt').context)).rejects.toThrow(InvalidAccessTokenError);
  });

  it('requires the permissions @Auth(...) names: a USER is forbidden, an ADMIN let through', async () => {
    await expect(sut.canActivate(requestTo('adminOnly', await sign('USER')).context)).rejects.toThrow(
      InsufficientPermissionsError,
    );
    await expect(sut.canActivate(requestTo('adminOnly', await sign('ADMIN')).context)).resolves.toBe(true);
  });

  it("reads a route's decorators once, and still verifies every request's token", async () => {
    const reflector = new Reflector();
    const read = vi.spyOn(reflector, 'getAllAndOverride');
    sut = new AccessTokenGuard(reflector, makeStrategy(revoked), apiKeys as unknown as ApiKeyAuthenticator);
    const token = await sign('ADMIN');

    for (let i = 0; i < 3; i++)
      await expect(sut.canActivate(requestTo('adminOnly', token).context)).resolves.toBe(true);
    await expect(sut.canActivate(requestTo('adminOnly', 'not-a-jwt').context)).rejects.toThrow(InvalidAccessTokenError);

    // @Public() and @Auth(...), each read once for the route.
    expect(read).toHaveBeenCalledTimes(2);
    expect(revoked.isRevoked).toHaveBeenCalledTimes(3);
  });

  it('checks the revocation on every request, the same token seen again included', async () => {
    const token = await sign();
    await sut.canActivate(requestTo('signedIn', token).context);
    revoked.isRevoked.mockResolvedValue(true);

    await expect(sut.canActivate(requestTo('signedIn', token).context)).rejects.toThrow(InvalidAccessTokenError);
    expect(revoked.isRevoked).toHaveBeenCalledTimes(2);
  });

  it('verifies with the strategy it was given, not the one constructed last in the process', async () => {
    // Another app's strategy, registered with passport as 'jwt' after this guard's.
    const other = makeRevokedSessions(true);
    makeStrategy(other);

    await expect(sut.canActivate(requestTo('signedIn', await sign()).context)).resolves.toBe(true);
    expect(revoked.isRevoked).toHaveBeenCalledTimes(1);
    expect(other.isRevoked).not.toHaveBeenCalled();
  });

  it('keeps concurrent requests apart: each gets its own caller', async () => {
    const first = requestTo('signedIn', await sign('USER', tokens, 'user-1'));
    const second = requestTo('signedIn', await sign('ADMIN', tokens, 'user-2'));

    await expect(Promise.all([sut.canActivate(first.context), sut.canActivate(second.context)])).resolves.toEqual([
      true,
      true,
    ]);
    expect([first.request.user?.id, second.request.user?.id]).toEqual(['user-1', 'user-2']);
  });

  it('lets a failure of the revocation lookup through as it is, not as a 401', async () => {
    const failure = new Error('database unavailable');
    revoked.isRevoked.mockRejectedValue(failure);

    await expect(sut.canActivate(requestTo('signedIn', await sign()).context)).rejects.toBe(failure);
  });

  describe('with an API key', () => {
    const withKey = (route: keyof RoutesController, headers: Record<string, string>) => {
      const built = requestTo(route);
      Object.assign(built.request.headers, headers);
      return built;
    };

    it.each([
      ['X-API-Key', { 'x-api-key': API_KEY }],
      ['Authorization: Bearer', { authorization: `Bearer ${API_KEY}` }],
    ])('authenticates it from %s on a route that accepts its scope, as its owner', async (_, headers) => {
      const { request, context } = withKey('profileRead', headers);

      await expect(sut.canActivate(context)).resolves.toBe(true);
      expect(apiKeys.authenticate).toHaveBeenCalledWith(API_KEY);
      expect(request.user).toEqual(makeKeyUser());
      expect(revoked.isRevoked).not.toHaveBeenCalled();
    });

    it('refuses it on a route that accepts no key (API_KEY_NOT_ACCEPTED), after authenticating it', async () => {
      await expect(sut.canActivate(withKey('signedIn', { 'x-api-key': API_KEY }).context)).rejects.toThrow(
        ApiKeyNotAcceptedError,
      );
      expect(apiKeys.authenticate).toHaveBeenCalledTimes(1);
    });

    it("refuses a scope the key lacks, and one its owner's role no longer holds (API_KEY_SCOPE_MISSING)", async () => {
      await expect(sut.canActivate(withKey('usersRead', { 'x-api-key': API_KEY }).context)).rejects.toThrow(
        ApiKeyScopeMissingError,
      );
      // Given users:read while an administrator, then demoted.
      apiKeys.authenticate.mockResolvedValue(makeKeyUser({ role: 'USER', scopes: [Permission.UsersRead] }));
      await expect(sut.canActivate(withKey('usersRead', { 'x-api-key': API_KEY }).context)).rejects.toThrow(
        ApiKeyScopeMissingError,
      );
      apiKeys.authenticate.mockResolvedValue(makeKeyUser({ role: 'ADMIN', scopes: [Permission.UsersRead] }));
      await expect(sut.canActivate(withKey('usersRead', { 'x-api-key': API_KEY }).context)).resolves.toBe(true);
    });

    it('refuses a key sent with an Authorization header too, before any lookup', async () => {
      const headers = { 'x-api-key': API_KEY, authorization: `Bearer ${await sign()}` };
      await expect(sut.canActivate(withKey('profileRead', headers).context)).rejects.toThrow(InvalidApiKeyError);
      expect(apiKeys.authenticate).not.toHaveBeenCalled();
    });

    it('passes the authenticator refusal on, and leaves a bearer JWT to the access-token path', async () => {
      apiKeys.authenticate.mockRejectedValue(new InvalidApiKeyError());
      await expect(sut.canActivate(withKey('profileRead', { 'x-api-key': API_KEY }).context)).rejects.toThrow(
        InvalidApiKeyError,
      );
      await expect(sut.canActivate(requestTo('profileRead', await sign()).context)).resolves.toBe(true);
      expect(apiKeys.authenticate).toHaveBeenCalledTimes(1);
    });
  });
});
