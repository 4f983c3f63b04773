import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { specOperations } from './utils/openapi-spec.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/** The operations whose 2xx responses openapi.json documents with this `Cache-Control` header component. */
function operationsDocumenting(component: string): string[] {
  return specOperations()
    .filter(({ operation }) =>
      Object.entries(operation.responses).some(
        ([status, response]) =>
          status.startsWith('2') &&
          (response.headers?.['Cache-Control'] as { $ref?: string } | undefined)?.$ref ===
            `#/components/headers/${component}`,
      ),
    )
    .map((op) => op.name)
    .sort();
}
const noStoreOperations = () => operationsDocumenting('Cache-Control');

/**
 * OWASP ASVS 5.0 14.3.2: answers carrying a credential or a bearer link (tokens, a checkout,
 * portal or invoice URL) are `Cache-Control: no-store`, so no browser or shared cache keeps them.
 */
describe('Cache-Control: no-store on credential-carrying answers (e2e)', () => {
  let t: TestApp;
  let me: TestAccount;

  beforeAll(async () => {
    t = await createTestApp();
    await seedTestPlans(t);
    me = await registerAndLogin(t.app);
  });

  afterAll(async () => {
    await t.close();
  });

  function expectNoStore(res: LightMyRequestResponse, status = 200) {
    expect({ status: res.statusCode, cacheControl: res.headers['cache-control'] }).toEqual({
      status,
      cacheControl: 'no-store',
    });
  }

  it('marks login and refresh, whose bodies are tokens', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: me.email, password: me.password },
    });
    expectNoStore(login);

    const refresh = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: login.json().refreshToken },
    });
    expectNoStore(refresh);
  });

  it('marks the checkout link, a replay of it, and the local checkout pages it opens', async () => {
    const checkout = (key: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/billing/checkout',
        headers: { ...me.auth, 'idempotency-key': key },
        payload: { planCode: 'pro' },
      });
    const first = await checkout('cache-control-1');
    const replay = await checkout('cache-control-1');

    expectNoStore(first);
    expectNoStore(replay);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const link = new URL(first.json().url as string).pathname;
    expectNoStore(await t.app.inject({ method: 'GET', url: link }));
    expectNoStore(await t.app.inject({ method: 'POST', url: link }));
  });

  it('marks the portal link and the invoices, whose hosted URLs are bearer links', async () => {
    expectNoStore(await t.app.inject({ method: 'POST', url: '/v1/billing/portal', headers: me.auth }));
    expectNoStore(await t.app.inject({ method: 'GET', url: '/v1/billing/invoices', headers: me.auth }));
  });

  it('is documented on exactly those operations', () => {
    expect(noStoreOperations()).toEqual([
      'GET /v1/billing/invoices',
      'GET /v1/billing/local-checkout/{token}',
      'POST /v1/auth/login',
      'POST /v1/auth/refresh',
      'POST /v1/billing/checkout',
      'POST /v1/billing/local-checkout/{token}',
      'POST /v1/billing/portal',
    ]);
  });
});
