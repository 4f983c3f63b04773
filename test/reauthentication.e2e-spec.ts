import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { login, registerAndLogin, strongPassword, type TestAccount } from './utils/auth.js';
import { OpenApiConformance } from './utils/openapi-conformance.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/**
 * The current password that sensitive changes ask again (a new email, a new password, deleting the
 * account) can't be guessed with a stolen access token: wrong answers are counted per account
 * (ASVS 5.0 6.3.1, 7.5.1), successes are not, and past the limit the check answers 429.
 */
const FAILURES = 3;
const WINDOW_SECONDS = 60;

const LOCKED_OUT = {
  type: 'urn:problem-type:reauthentication-locked-out',
  title: 'Too Many Requests',
  status: 429,
  detail: 'Too many wrong passwords. Retry later.',
  code: 'REAUTHENTICATION_LOCKED_OUT',
};

const spec = new OpenApiConformance();

describe('re-authentication limits (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOGIN_LOCKOUT_CLIENT_FAILURES: String(FAILURES), LOGIN_LOCKOUT_WINDOW: `${WINDOW_SECONDS}s` },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  const changeEmail = (account: TestAccount, currentPassword: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: account.auth,
      remoteAddress,
      payload: { email: `moved-${account.id}@example.com`, currentPassword },
    });
  const changePassword = (account: TestAccount, currentPassword: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/password/change',
      headers: account.auth,
      payload: { currentPassword, newPassword: strongPassword() },
    });
  const deleteMe = (account: TestAccount, password: string) =>
    t.app.inject({ method: 'DELETE', url: '/v1/users/me', headers: account.auth, payload: { password } });

  function expectLockedOut(res: LightMyRequestResponse, operation: string): void {
    const instance = operation.split(' ')[1];
    expect({ status: res.statusCode, body: res.json() }).toEqual({
      status: 429,
      body: { ...LOCKED_OUT, instance, requestId: res.headers['x-request-id'] },
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(spec.problems(operation, res)).toEqual([]);
  }

  it('stops guessing the password through the email change, from any address, even with the right one', async () => {
    const victim = await registerAndLogin(t.app);
    for (let i = 0; i < FAILURES; i++) {
      const res = await changeEmail(victim, `wrong-guess-${i}`, `10.20.0.${i + 1}`);
      expect({ i, status: res.statusCode, field: res.json().errors?.[0]?.field }).toEqual({
        i,
        status: 400,
        field: 'currentPassword',
      });
    }

    expectLockedOut(await changeEmail(victim, victim.password, '10.20.0.99'), 'PATCH /v1/users/me');
    // Signing in is not affected: the owner is not locked out of the account.
    await expect(login(t.app, victim.email, victim.password)).resolves.toMatchObject({ expiresIn: 900 });
  });

  it('counts the three routes together, per account: other accounts are not affected', async () => {
    const victim = await registerAndLogin(t.app);
    const bystander = await registerAndLogin(t.app);

    expect((await changeEmail(victim, 'wrong-1')).statusCode).toBe(400);
    expect((await changePassword(victim, 'wrong-2')).statusCode).toBe(400);
    expect((await deleteMe(victim, 'wrong-3')).statusCode).toBe(400);

    expectLockedOut(await deleteMe(victim, victim.password), 'DELETE /v1/users/me');
    expectLockedOut(await changePassword(victim, victim.password), 'POST /v1/auth/password/change');
    expect((await changeEmail(bystander, bystander.password)).statusCode).toBe(200);
  });

  it('counts failures, not successes: the owner confirming many times uses up none of the budget', async () => {
    const owner = await registerAndLogin(t.app);
    for (let i = 0; i < FAILURES + 2; i++) {
      expect({ i, status: (await changeEmail(owner, owner.password)).statusCode }).toEqual({ i, status: 200 });
    }
    for (let i = 0; i < FAILURES - 1; i++) expect((await changeEmail(owner, `wrong-${i}`)).statusCode).toBe(400);

    expect((await changeEmail(owner, owner.password)).statusCode).toBe(200);
  });
});
