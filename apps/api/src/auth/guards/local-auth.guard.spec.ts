import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { ValidationFailedError } from '@app/common';
import { makeHttpContext } from '../../../../../test/utils/builders.js';
import { InvalidCredentialsError } from '../auth.errors.js';
import type { AuthService, VerifiedCredentials } from '../auth.service.js';
import { LocalStrategy } from '../strategies/local.strategy.js';
import { LocalAuthGuard } from './local-auth.guard.js';

const CREDENTIALS = { email: 'owner@example.com', password: 'correct horse battery staple' };

/** A sign-in request with `body`, and the ExecutionContext the guard gets for it. */
function loginWith(body: unknown) {
  const request: { body: unknown; headers: Record<string, string>; cookies: object; ip: string; user?: unknown } = {
    body,
    headers: {},
    cookies: {},
    ip: '203.0.113.7',
  };
  return { request, context: makeHttpContext({ request }) };
}

describe(LocalAuthGuard.name, () => {
  const verified = { user: { id: 'user-1' } } as unknown as VerifiedCredentials;
  let auth: { verifyCredentials: Mock<AuthService['verifyCredentials']> };
  let sut: LocalAuthGuard;

  beforeEach(() => {
    auth = { verifyCredentials: vi.fn<AuthService['verifyCredentials']>().mockResolvedValue(verified) };
    sut = new LocalAuthGuard(new LocalStrategy(auth as unknown as AuthService));
  });

  it('puts the verified credentials on the request once the body is valid', async () => {
    const { request, context } = loginWith(CREDENTIALS);

    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.user).toBe(verified);
    expect(auth.verifyCredentials).toHaveBeenCalledWith(
      CREDENTIALS.email,
      CREDENTIALS.password,
      expect.anything(),
      undefined,
    );
  });

  it('signs in with the strategy it was given, not the one constructed last in the process', async () => {
    // Another app's strategy, registered with passport as 'local' after this guard's.
    const other = { verifyCredentials: vi.fn<AuthService['verifyCredentials']>().mockResolvedValue(verified) };
    new LocalStrategy(other as unknown as AuthService);

    await expect(sut.canActivate(loginWith(CREDENTIALS).context)).resolves.toBe(true);
    expect(auth.verifyCredentials).toHaveBeenCalledTimes(1);
    expect(other.verifyCredentials).not.toHaveBeenCalled();
  });

  it.each([
    ['an array', [CREDENTIALS]],
    ['a string', 'owner@example.com'],
  ])('refuses a body that is %s as VALIDATION_FAILED, before passport', async (_kind, body) => {
    await expect(sut.canActivate(loginWith(body).context)).rejects.toThrow(ValidationFailedError);
    expect(auth.verifyCredentials).not.toHaveBeenCalled();
  });

  it.each([
    ['no body', undefined],
    ['no password', { email: CREDENTIALS.email }],
    ['an email that is not one', { ...CREDENTIALS, email: 'owner' }],
    ['a property LoginDto does not know', { ...CREDENTIALS, role: 'ADMIN' }],
    ['a device token not as issued', { ...CREDENTIALS, deviceToken: 'forged' }],
    ['a NUL character', { ...CREDENTIALS, password: 'pass\u0000word' }],
  ])('validates the body like the ValidationPipe, before passport: refuses %s', async (_kind, body) => {
    await expect(sut.canActivate(loginWith(body).context)).rejects.toThrow(ValidationFailedError);
    expect(auth.verifyCredentials).not.toHaveBeenCalled();
  });

  it('lets an error of the credentials check through as it is, not as a 401', async () => {
    const failure = new Error('database unavailable');
    auth.verifyCredentials.mockRejectedValue(failure);

    await expect(sut.canActivate(loginWith(CREDENTIALS).context)).rejects.toBe(failure);
  });

  it('reports "no user" from passport as INVALID_CREDENTIALS', () => {
    expect(() => sut.handleRequest(null, false)).toThrow(InvalidCredentialsError);
    expect(() => sut.handleRequest(undefined, undefined)).toThrow(InvalidCredentialsError);
  });
});
