import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { FastifyRequest } from 'fastify';
import type { AuthService, VerifiedCredentials } from '../auth.service.js';
import { DEVICE_COOKIE } from '../lockout/device-tokens.js';
import { LocalStrategy } from './local.strategy.js';

const BODY_DEVICE = `${'a'.repeat(22)}.1773230400.${'b'.repeat(43)}`;
const COOKIE_DEVICE = `${'c'.repeat(22)}.1773230400.${'d'.repeat(43)}`;

/** A sign-in request as Fastify hands it to passport-local. */
function makeLoginRequest({
  body = {},
  cookies = {},
  headers = { 'user-agent': 'jest' },
  ip = '203.0.113.7',
}: { body?: object; cookies?: Record<string, string>; headers?: Record<string, string>; ip?: string } = {}) {
  return {
    body: { email: 'owner@example.com', password: 'pw', ...body },
    cookies,
    headers,
    ip,
  } as unknown as FastifyRequest;
}

describe(LocalStrategy.name, () => {
  const verified = { user: { id: 'user-1' } } as unknown as VerifiedCredentials;
  let auth: { verifyCredentials: Mock<AuthService['verifyCredentials']> };
  let sut: LocalStrategy;

  beforeEach(() => {
    auth = { verifyCredentials: vi.fn<AuthService['verifyCredentials']>().mockResolvedValue(verified) };
    sut = new LocalStrategy(auth as unknown as AuthService);
  });

  it('verifies the email and password with the client the request came from, and answers what AuthService verified', async () => {
    await expect(sut.validate(makeLoginRequest(), 'owner@example.com', 'pw')).resolves.toBe(verified);
    expect(auth.verifyCredentials).toHaveBeenCalledWith(
      'owner@example.com',
      'pw',
      { ip: '203.0.113.7', userAgent: 'jest' },
      undefined,
    );
  });

  it('takes the device token from the body before the cookie', async () => {
    const request = makeLoginRequest({
      body: { deviceToken: BODY_DEVICE },
      cookies: { [DEVICE_COOKIE]: COOKIE_DEVICE },
    });

    await sut.validate(request, 'owner@example.com', 'pw');

    expect(auth.verifyCredentials).toHaveBeenCalledWith('owner@example.com', 'pw', expect.anything(), BODY_DEVICE);
  });

  it('falls back to the device_token cookie when the body has no device token', async () => {
    await sut.validate(makeLoginRequest({ cookies: { [DEVICE_COOKIE]: COOKIE_DEVICE } }), 'owner@example.com', 'pw');

    expect(auth.verifyCredentials).toHaveBeenCalledWith('owner@example.com', 'pw', expect.anything(), COOKIE_DEVICE);
  });

  it('leaves out an ip that is not an address and a missing user agent', async () => {
    await sut.validate(makeLoginRequest({ ip: 'unknown', headers: {} }), 'owner@example.com', 'pw');

    expect(auth.verifyCredentials).toHaveBeenCalledWith(
      'owner@example.com',
      'pw',
      { ip: undefined, userAgent: undefined },
      undefined,
    );
  });

  it('fails with the error of AuthService as it is', async () => {
    const failure = new Error('database unavailable');
    auth.verifyCredentials.mockRejectedValue(failure);

    await expect(sut.validate(makeLoginRequest(), 'owner@example.com', 'pw')).rejects.toBe(failure);
  });
});
