import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@app/database';
import { createApiKey, keyAuth, type CreatedKey } from './utils/api-keys.js';
import { createAccountWithRole, registerAndLogin, sha256Hex, type TestAccount } from './utils/auth.js';
import { expectProblem, VALIDATION_FAILED } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const KEYS = '/v1/users/me/api-keys';
/** The regex README gives secret scanners. */
const SCANNER_REGEX = /\bnsk_[A-Za-z0-9]{12}_[A-Za-z0-9]{44}\b/;

const INVALID_API_KEY = {
  type: 'urn:problem-type:invalid-api-key',
  title: 'Unauthorized',
  status: 401,
  detail: 'A valid API key is required.',
  code: 'INVALID_API_KEY',
};
const API_KEY_NOT_ACCEPTED = {
  type: 'urn:problem-type:api-key-not-accepted',
  title: 'Forbidden',
  status: 403,
  detail: 'This route does not accept API keys; use an access token.',
  code: 'API_KEY_NOT_ACCEPTED',
};
const scopeMissing = (scope: string) => ({
  type: 'urn:problem-type:api-key-scope-missing',
  title: 'Forbidden',
  status: 403,
  detail: `This API key lacks the ${scope} scope.`,
  code: 'API_KEY_SCOPE_MISSING',
});

/**
 * API keys of machine clients through HTTP, on real PostgreSQL (and Redis when configured): created
 * with a name, scopes and an expiry, shown once, stored as a SHA-256, listed without their secret,
 * revoked; a key authenticates as its owner limited to its scopes, on the routes that accept keys.
 */
describe('API keys (e2e)', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let alice: TestAccount;

  beforeAll(async () => {
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
    alice = await registerAndLogin(t.app);
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
  /** `POST /v1/users/me/api-keys` as `owner` (alice unless told). */
  const postKey = (payload: Record<string, unknown>, owner: TestAccount = alice) =>
    t.app.inject({ method: 'POST', url: KEYS, headers: owner.auth, payload });

  describe('creation and listing', () => {
    // ASVS 5.0 V11 Cryptography (11.5.1: non-guessable values from a CSPRNG, at least 128 bits) and
    // V14 Data Protection: the key is shown once, never stored or listed again.
    it('shows the key once, in a recognisable format, and the list never does', async () => {
      const res = await postKey({ name: 'CI deploys', scopes: ['profile:read'], expiresInDays: 30 });
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const created = res.json() as CreatedKey;
      expect(created).toEqual({
        id: expect.any(String),
        name: 'CI deploys',
        publicId: expect.stringMatching(/^[A-Za-z0-9]{12}$/),
        scopes: ['profile:read'],
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
        lastUsedAt: null,
        key: expect.stringMatching(SCANNER_REGEX),
      });
      expect(created.key.startsWith(`nsk_${created.publicId}_`)).toBe(true);
      const days = (Date.parse(created.expiresAt) - Date.parse(created.createdAt)) / 86_400_000;
      expect(Math.round(days)).toBe(30);

      const list = await get(KEYS, alice.auth);
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(created.key);
      expect(list.body).not.toContain(created.key.split('_')[2]);
      const { key: _shownOnce, ...listed } = created;
      expect(list.json()).toContainEqual(listed);
    });

    // ASVS 5.0 V11 Cryptography: a high-entropy key stored as its SHA-256 only.
    it('stores only the SHA-256 of the key', async () => {
      const created = await createApiKey(t.app, alice, { scopes: ['profile:read'] });
      const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
      expect(row.keyHash).toBe(sha256Hex(created.key));
      expect(JSON.stringify(row)).not.toContain(created.key.split('_')[2]);
    });

    // ASVS 5.0 V2 Validation and Business Logic (2.2.1: input validated against expectations).
    it.each([
      ['an unknown scope', { scopes: ['users:write'] }, 'scopes'],
      ['no scope', { scopes: [] }, 'scopes'],
      ['an expiry of 0 days', { expiresInDays: 0 }, 'expiresInDays'],
      ['an expiry past the largest accepted', { expiresInDays: 100_000 }, 'expiresInDays'],
      ['a name on two lines', { name: 'a\nb' }, 'name'],
      ['an unknown field', { secret: 'x' }, 'secret'],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, change, field) => {
      const res = await postKey({ name: 'k', scopes: ['profile:read'], expiresInDays: 1, ...change });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((res.json() as { errors: Array<{ field: string }> }).errors.map((error) => error.field)).toContain(field);
    });

    // ASVS 5.0 V8 Authorization: a key never holds more than its owner.
    it("refuses a scope the caller's role does not hold (400 API_KEY_SCOPE_NOT_HELD)", async () => {
      const res = await postKey({ name: 'k', scopes: ['profile:read', 'users:read'], expiresInDays: 1 });
      expectProblem(
        res,
        {
          type: 'urn:problem-type:api-key-scope-not-held',
          title: 'Bad Request',
          status: 400,
          detail: 'Your role does not hold: users:read.',
          code: 'API_KEY_SCOPE_NOT_HELD',
        },
        KEYS,
        { errors: [{ field: 'scopes', message: 'scopes must be held by your role (users:read are not)' }] },
      );
    });

    // ASVS 5.0 V2 Validation and Business Logic: the configured maximum lifetime holds.
    it('refuses an expiry past API_KEY_MAX_LIFETIME', async () => {
      const res = await postKey({ name: 'k', scopes: ['profile:read'], expiresInDays: 366 });
      expectProblem(res, VALIDATION_FAILED, KEYS, {
        errors: [{ field: 'expiresInDays', message: 'expiresInDays must not be greater than 365' }],
      });
    });

    // ASVS 5.0 V2 Validation and Business Logic (2.4: anti-automation, limits on resources).
    it('caps the active keys per user (409 API_KEY_LIMIT_REACHED); a revoked one frees its place', async () => {
      const bob = await registerAndLogin(t.app);
      const made: CreatedKey[] = [];
      for (let i = 0; i < t.config.apiKeys.maxPerUser; i++) made.push(await createApiKey(t.app, bob));
      const over = () => postKey({ name: 'one too many', scopes: ['profile:read'], expiresInDays: 1 }, bob);
      expectProblem(
        await over(),
        {
          type: 'urn:problem-type:api-key-limit-reached',
          title: 'Conflict',
          status: 409,
          detail: `At most ${t.config.apiKeys.maxPerUser} active API keys: revoke one first.`,
          code: 'API_KEY_LIMIT_REACHED',
        },
        KEYS,
      );
      const revoked = await t.app.inject({ method: 'DELETE', url: `${KEYS}/${made[0]?.id}`, headers: bob.auth });
      expect(revoked.statusCode).toBe(204);
      expect((await over()).statusCode).toBe(201);
    });
  });

  describe('authentication', () => {
    let key: CreatedKey;

    beforeAll(async () => {
      key = await createApiKey(t.app, alice, { scopes: ['profile:read'] });
    });

    // ASVS 5.0 V6 Authentication: the key authenticates as its owner, in either header.
    it.each([
      ['X-API-Key', (k: string) => ({ 'x-api-key': k })],
      ['Authorization: Bearer', (k: string) => ({ authorization: `Bearer ${k}` })],
    ])('authenticates as its owner through %s on an in-scope route', async (_, header) => {
      const res = await get('/v1/users/me', header(key.key));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: alice.id, email: alice.email });
    });

    // ASVS 5.0 V8 Authorization (8.2.1: function-level access only with explicit permissions).
    it('answers 403 API_KEY_SCOPE_MISSING on a route that accepts keys of another scope', async () => {
      expectProblem(
        await get('/v1/billing/entitlements', keyAuth(key)),
        scopeMissing('billing:read'),
        '/v1/billing/entitlements',
      );
    });

    // ASVS 5.0 V8 Authorization: credential, session and key management routes refuse every key.
    it.each([
      ['PATCH', '/v1/users/me', { name: 'Renamed' }],
      ['DELETE', '/v1/users/me', { password: 'whatever-it-is' }],
      ['POST', '/v1/auth/password/change', { currentPassword: 'a', newPassword: 'b' }],
      ['GET', '/v1/auth/sessions', undefined],
      ['POST', '/v1/auth/logout-all', undefined],
      ['GET', KEYS, undefined],
      ['POST', KEYS, { name: 'k', scopes: ['profile:read'], expiresInDays: 1 }],
      ['DELETE', `${KEYS}/${randomUUID()}`, undefined],
    ] as const)('refuses a key on %s %s (403 API_KEY_NOT_ACCEPTED)', async (method, url, payload) => {
      const res = await t.app.inject({ method, url, headers: keyAuth(key), ...(payload ? { payload } : {}) });
      expectProblem(res, API_KEY_NOT_ACCEPTED, url);
    });

    // ASVS 5.0 V6 Authentication: unknown, malformed and ambiguous keys are 401.
    it.each([
      ['an unknown key', { 'x-api-key': `nsk_${'A'.repeat(12)}_${'B'.repeat(44)}` }],
      ['a malformed key', { 'x-api-key': 'nsk_nope' }],
      ['an unknown bearer key', { authorization: `Bearer nsk_${'A'.repeat(12)}_${'B'.repeat(44)}` }],
      ['a key with an Authorization header too', { 'x-api-key': 'KEY', authorization: 'Bearer x' }],
    ])('refuses %s with 401 INVALID_API_KEY', async (_, headers) => {
      const sent = Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, value === 'KEY' ? key.key : value]),
      );
      expectProblem(await get('/v1/users/me', sent), INVALID_API_KEY, '/v1/users/me');
    });

    // ASVS 5.0 V6 Authentication: an expired key no longer authenticates.
    it('refuses an expired key (401)', async () => {
      const expiring = await createApiKey(t.app, alice);
      await prisma.apiKey.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expectProblem(await get('/v1/users/me', keyAuth(expiring)), INVALID_API_KEY, '/v1/users/me');
      expect((await get(KEYS, alice.auth)).json()).not.toContainEqual(expect.objectContaining({ id: expiring.id }));
    });

    // ASVS 5.0 V7 Session Management (revocation applies at once) and V16 Security Logging.
    it('refuses a revoked key from the next request on, and records creation and revocation', async () => {
      const revoking = await createApiKey(t.app, alice, { scopes: ['profile:read', 'billing:read'] });
      expect((await get('/v1/users/me', keyAuth(revoking))).statusCode).toBe(200);

      const res = await t.app.inject({ method: 'DELETE', url: `${KEYS}/${revoking.id}`, headers: alice.auth });
      expect(res.statusCode).toBe(204);
      expectProblem(await get('/v1/users/me', keyAuth(revoking)), INVALID_API_KEY, '/v1/users/me');
      expect((await get(KEYS, alice.auth)).json()).not.toContainEqual(expect.objectContaining({ id: revoking.id }));

      const events = (await get('/v1/users/me/security-events?limit=100', alice.auth)).json() as {
        items: Array<{ type: string; actor: { kind: string }; details: Record<string, unknown> }>;
      };
      const about = events.items.filter((event) => event.details.apiKeyId === revoking.id);
      expect(about.map(({ type, actor, details }) => ({ type, actor: actor.kind, details }))).toEqual([
        { type: 'API_KEY_REVOKED', actor: 'SELF', details: { apiKeyId: revoking.id, reason: 'REVOKED_BY_USER' } },
        {
          type: 'API_KEY_CREATED',
          actor: 'SELF',
          details: { apiKeyId: revoking.id, scopes: ['profile:read', 'billing:read'] },
        },
      ]);
    });

    // ASVS 5.0 V8 Authorization (8.2.2: data-specific access, no IDOR/BOLA).
    it("answers 404 for another user's key, and leaves that key working", async () => {
      const mallory = await registerAndLogin(t.app);
      const res = await t.app.inject({ method: 'DELETE', url: `${KEYS}/${key.id}`, headers: mallory.auth });
      expectProblem(
        res,
        {
          type: 'urn:problem-type:api-key-not-found',
          title: 'Not Found',
          status: 404,
          detail: 'No such API key.',
          code: 'API_KEY_NOT_FOUND',
        },
        `${KEYS}/${key.id}`,
      );
      expect((await get(KEYS, mallory.auth)).json()).toEqual([]);
      expect((await get('/v1/users/me', keyAuth(key))).statusCode).toBe(200);
    });

    // ASVS 5.0 V2 Validation and Business Logic.
    it('answers 400 for a key id that is not a UUID', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: `${KEYS}/not-a-uuid`, headers: alice.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    // ASVS 5.0 V16 Security Logging: lastUsedAt is kept, written at most once per interval.
    it('sets lastUsedAt on use, at most once per API_KEY_LAST_USED_INTERVAL', async () => {
      const used = await createApiKey(t.app, alice);
      expect((await get('/v1/users/me', keyAuth(used))).statusCode).toBe(200);
      const first = (await prisma.apiKey.findUniqueOrThrow({ where: { id: used.id } })).lastUsedAt;
      expect(first).not.toBeNull();
      expect((await get('/v1/users/me', keyAuth(used))).statusCode).toBe(200);
      const second = (await prisma.apiKey.findUniqueOrThrow({ where: { id: used.id } })).lastUsedAt;
      expect(second).toEqual(first);
      const listed = ((await get(KEYS, alice.auth)).json() as CreatedKey[]).find((k) => k.id === used.id);
      expect(listed?.lastUsedAt).toBe(first?.toISOString());
    });
  });

  describe('the owner', () => {
    // ASVS 5.0 V8 Authorization: what a key may do shrinks with its owner's role, at once.
    it("narrows an administrator's key when they are demoted", async () => {
      const admin = await createAccountWithRole(t.app, 'ADMIN');
      const other = await createAccountWithRole(t.app, 'ADMIN');
      const key = await createApiKey(t.app, admin, { scopes: ['users:read', 'profile:read'] });
      expect((await get('/v1/users', keyAuth(key))).statusCode).toBe(200);
      expect((await get(`/v1/users/${other.id}`, keyAuth(key))).statusCode).toBe(200);

      const demoted = await t.app.inject({
        method: 'PATCH',
        url: `/v1/users/${admin.id}`,
        headers: other.auth,
        payload: { role: 'USER' },
      });
      expect(demoted.statusCode).toBe(200);
      expectProblem(await get('/v1/users', keyAuth(key)), scopeMissing('users:read'), '/v1/users');
      expect((await get('/v1/users/me', keyAuth(key))).statusCode).toBe(200);
    });

    // ASVS 5.0 V7 Session Management: a disabled account's credentials stop working at once, for good.
    it('refuses the keys of a disabled owner (401), and they stay revoked once enabled again', async () => {
      const admin = await createAccountWithRole(t.app, 'ADMIN');
      const carol = await registerAndLogin(t.app);
      const key = await createApiKey(t.app, carol);
      const setStatus = (status: string) =>
        t.app.inject({ method: 'PATCH', url: `/v1/users/${carol.id}`, headers: admin.auth, payload: { status } });

      expect((await setStatus('DISABLED')).statusCode).toBe(200);
      expectProblem(await get('/v1/users/me', keyAuth(key)), INVALID_API_KEY, '/v1/users/me');
      expect((await setStatus('ACTIVE')).statusCode).toBe(200);
      expectProblem(await get('/v1/users/me', keyAuth(key)), INVALID_API_KEY, '/v1/users/me');
    });

    // ASVS 5.0 V7 Session Management: a disabled owner is refused even before their keys are revoked.
    it('refuses a key the moment its owner is disabled, whatever the key row says', async () => {
      const dave = await registerAndLogin(t.app);
      const key = await createApiKey(t.app, dave);
      await prisma.user.update({ where: { id: dave.id }, data: { status: 'DISABLED' } });
      expectProblem(await get('/v1/users/me', keyAuth(key)), INVALID_API_KEY, '/v1/users/me');
    });

    // ASVS 5.0 V7 Session Management: a deleted account's keys die with it.
    it('refuses the keys of a deleted owner (401)', async () => {
      const erin = await registerAndLogin(t.app);
      const key = await createApiKey(t.app, erin);
      const res = await t.app.inject({
        method: 'DELETE',
        url: '/v1/users/me',
        headers: erin.auth,
        payload: { password: erin.password },
      });
      expect(res.statusCode).toBe(204);
      expectProblem(await get('/v1/users/me', keyAuth(key)), INVALID_API_KEY, '/v1/users/me');
      const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
      expect(row.revokedAt).not.toBeNull();
    });
  });
});

/** The per-key rate limit, on an app of its own with a low limit. */
describe('API key rate limit (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { API_KEY_RATE_LIMIT_PER_MINUTE: '3' } });
  });

  afterAll(async () => {
    await t.close();
  });

  // ASVS 5.0 V2 Validation and Business Logic (2.4.1: anti-automation against excessive calls).
  it('answers 429 RATE_LIMITED past the per-key limit, on every route together, for that key only', async () => {
    const frank = await registerAndLogin(t.app);
    const key = await createApiKey(t.app, frank, { scopes: ['profile:read', 'billing:read'] });
    const other = await createApiKey(t.app, frank);
    const call = (url: string, k = key) => t.app.inject({ method: 'GET', url, headers: keyAuth(k) });

    expect((await call('/v1/users/me')).statusCode).toBe(200);
    expect((await call('/v1/billing/entitlements')).statusCode).toBe(200);
    expect((await call('/v1/users/me')).statusCode).toBe(200);
    const limited = await call('/v1/billing/entitlements');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    expect((await call('/v1/users/me', other)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/users/me', headers: frank.auth })).statusCode).toBe(200);
  });
});
