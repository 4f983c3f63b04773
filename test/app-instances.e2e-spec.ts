import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, login, strongPassword, uniqueEmail } from './utils/auth.js';
import { expectProblem, INVALID_ACCESS_TOKEN, INVALID_CREDENTIALS } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/** Registers an account on `app` only (registration goes through no passport strategy). */
async function register(app: NestFastifyApplication): Promise<{ email: string; password: string }> {
  const account = { email: uniqueEmail('instance'), password: strongPassword() };
  const res = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { ...account, name: 'Instance' } });
  expect(res.statusCode).toBe(201);
  return account;
}

const loginRaw = (app: NestFastifyApplication, account: { email: string; password: string }) =>
  app.inject({ method: 'POST', url: '/v1/auth/login', payload: account });

const me = (app: NestFastifyApplication, accessToken: string) =>
  app.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(accessToken) });

/**
 * Two apps in one process, configured differently, as the multi-instance e2e tests run them: each
 * authenticates with the strategies of its own container, whichever was constructed last. passport
 * keeps one registry per process, where `AuthGuard('jwt')` would find the last app's strategy.
 */
describe('several app instances in one process (e2e)', () => {
  describe('on different databases', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await createTestApp();
      b = await createTestApp();
    });

    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('signs in against its own database: an account of A signs in on A, not on B, created last', async () => {
      const account = await register(a.app);

      expect((await loginRaw(a.app, account)).statusCode).toBe(200);
      expectProblem(await loginRaw(b.app, account), INVALID_CREDENTIALS, '/v1/auth/login');
    });

    it('and an account of B signs in on B, not on A', async () => {
      const account = await register(b.app);

      expect((await loginRaw(b.app, account)).statusCode).toBe(200);
      expectProblem(await loginRaw(a.app, account), INVALID_CREDENTIALS, '/v1/auth/login');
    });
  });

  describe('on one database, with different issuers and audiences', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await createTestApp({ env: { JWT_ISSUER: 'instance-a', JWT_AUDIENCE: 'instance-a' } });
      b = await createTestApp({
        env: { JWT_ISSUER: 'instance-b', JWT_AUDIENCE: 'instance-b' },
        database: a.database,
      });
    });

    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('accepts the access tokens it signed and refuses those of the other', async () => {
      const account = await register(a.app);
      const fromA = (await login(a.app, account.email, account.password)).accessToken;
      const fromB = (await login(b.app, account.email, account.password)).accessToken;

      expect((await me(a.app, fromA)).statusCode).toBe(200);
      expect((await me(b.app, fromB)).statusCode).toBe(200);
      expectProblem(await me(a.app, fromB), INVALID_ACCESS_TOKEN, '/v1/users/me');
      expectProblem(await me(b.app, fromA), INVALID_ACCESS_TOKEN, '/v1/users/me');
    });
  });
});
