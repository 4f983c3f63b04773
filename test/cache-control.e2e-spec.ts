import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PrismaService } from '@app/database';
import { BillingService } from '../apps/api/src/billing/subscriptions/billing.service.js';
import { registerAndLogin, type TestAccount } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { specOperations } from './utils/openapi-spec.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const SHARED = 'public, max-age=60, s-maxage=300';
const STRONG_ETAG = /^"[A-Za-z0-9_-]{22}"$/;

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
 * What caches may keep:
 * - OWASP ASVS 5.0 14.3.2: answers carrying a credential or a bearer link (tokens, a checkout,
 *   portal or invoice URL) are `Cache-Control: no-store`, so no browser or shared cache keeps them;
 * - caching at the edge: the public reads that are the same for every caller (the plans, the
 *   published spec) can be kept by a CDN and revalidated with their ETag; personal reads never are.
 */
describe('Cache-Control and ETag (e2e)', () => {
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

  describe('no-store on credential-carrying answers', () => {
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

    it('marks the creation of an API key, whose body is the key', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/users/me/api-keys',
        headers: me.auth,
        payload: { name: 'cache check', scopes: ['profile:read'], expiresInDays: 1 },
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
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
        'POST /v1/users/me/api-keys',
      ]);
    });
  });

  describe('caching at the edge', () => {
    const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

    describe.each(['/v1/billing/plans', '/docs/openapi.json', '/docs/openapi.yaml'])('GET %s', (url) => {
      it('is shared-cacheable, with a strong ETag that stays while the body does', async () => {
        const first = await get(url);
        const second = await get(url);

        expect(first.statusCode).toBe(200);
        expect(first.headers['cache-control']).toBe(SHARED);
        expect(first.headers.etag).toMatch(STRONG_ETAG);
        expect(second.headers.etag).toBe(first.headers.etag);
      });

      it('answers 304 with no body to a matching If-None-Match: exact, weak, in a list, or *', async () => {
        const { etag } = (await get(url)).headers as { etag: string };

        for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`, '*']) {
          const res = await get(url, { 'if-none-match': ifNoneMatch });
          expect({ ifNoneMatch, status: res.statusCode, body: res.body }).toEqual({
            ifNoneMatch,
            status: 304,
            body: '',
          });
          expect(res.headers.etag).toBe(etag);
          expect(res.headers['cache-control']).toBe(SHARED);
          // RFC 9110 8.6: no Content-Length other than the full answer's (none here), and no body type.
          expect(res.headers['content-length']).toBeUndefined();
          expect(res.headers['content-type']).toBeUndefined();
        }
        const head = await t.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': etag } });
        expect(head.statusCode).toBe(304);
        // A HEAD may state the full answer's length, nothing else.
        expect(head.headers['content-length']).toBe(String(Buffer.byteLength((await get(url)).body)));
      });

      it('answers the full body to an If-None-Match that does not match', async () => {
        const res = await get(url, { 'if-none-match': '"some-other-version"' });

        expect(res.statusCode).toBe(200);
        expect(res.body.length).toBeGreaterThan(0);
      });
    });

    it('never lets a CDN keep an error of a shared-cacheable route: a failing plans read is no-store', async () => {
      const billing = t.app.get(BillingService);
      const listPlans = vi.spyOn(billing, 'listPlans').mockRejectedValueOnce(new Error('boom'));

      const failed = await get('/v1/billing/plans');

      expect(failed.statusCode).toBe(500);
      expect(failed.headers['cache-control']).toBe('no-store');
      expect(failed.headers.etag).toBeUndefined();
      listPlans.mockRestore();
      expect((await get('/v1/billing/plans')).headers['cache-control']).toBe(SHARED);
    });

    it('changes the ETag of the plans when the plans change', async () => {
      const before = (await get('/v1/billing/plans')).headers.etag as string;
      const prisma = t.app.get(PrismaService);
      await prisma.plan.update({ where: { code: 'pro' }, data: { name: 'Pro (renamed)' } });
      await t.app.get(BillingService).invalidatePlans();

      const after = await get('/v1/billing/plans', { 'if-none-match': before });

      expect(after.statusCode).toBe(200);
      expect(after.headers.etag).not.toBe(before);
      expect(after.json()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Pro (renamed)' })]));
    });

    it('keeps personal reads out of every cache: private, no-store and no ETag', async () => {
      for (const url of ['/v1/users/me', '/v1/billing/entitlements', '/v1/auth/sessions']) {
        const res = await get(url, me.auth);
        expect({
          url,
          status: res.statusCode,
          cacheControl: res.headers['cache-control'],
          etag: res.headers.etag,
        }).toEqual({ url, status: 200, cacheControl: 'private, no-store', etag: undefined });
      }
      // A refused token says so too: nothing about it is cacheable.
      expect((await get('/v1/users/me', { authorization: 'Bearer not-a-token' })).headers['cache-control']).toBe(
        'private, no-store',
      );
      // So is an answer to an API key, sent in its own header (OWASP ASVS 5.0 14.3.2).
      const key = await t.app.inject({
        method: 'POST',
        url: '/v1/users/me/api-keys',
        headers: me.auth,
        payload: { name: 'cache read', scopes: ['profile:read'], expiresInDays: 1 },
      });
      const byKey = await get('/v1/users/me', { 'x-api-key': key.json().key as string });
      expect({ status: byKey.statusCode, cacheControl: byKey.headers['cache-control'] }).toEqual({
        status: 200,
        cacheControl: 'private, no-store',
      });
      // A credential-carrying answer keeps its stricter no-store.
      const invoices = await get('/v1/billing/invoices', me.auth);
      expect(invoices.headers['cache-control']).toBe('no-store');
    });

    it('documents it in openapi.json: the shared route with its ETag, If-None-Match and 304, authenticated ones private', () => {
      const operations = specOperations();
      const plans = operations.find((op) => op.name === 'GET /v1/billing/plans')!;
      expect(plans.operation.responses['200']?.headers).toMatchObject({
        'Cache-Control': { $ref: '#/components/headers/Cache-Control-Shared' },
        ETag: { $ref: '#/components/headers/ETag' },
      });
      expect(plans.operation.responses['304']).toBeDefined();
      expect(JSON.stringify(plans.operation)).toContain('#/components/parameters/If-None-Match');

      const me = operations.find((op) => op.name === 'GET /v1/users/me')!;
      expect(me.operation.responses['200']?.headers).toMatchObject({
        'Cache-Control': { $ref: '#/components/headers/Cache-Control-Private' },
      });
      expect(me.operation.responses['304']).toBeUndefined();
    });
  });
});
