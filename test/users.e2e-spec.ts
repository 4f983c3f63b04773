import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { PrismaService } from '@app/database';
import { TEST_REDIS_URL } from './setup/test-env.js';
import { bearer, createAccountWithRole, login, registerAndLogin, type TestAccount } from './utils/auth.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const USER_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'pendingEmail', 'role', 'status', 'updatedAt'];

describe('users (e2e)', () => {
  let t: TestApp;
  let admin: TestAccount;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAccountWithRole(t.app, 'ADMIN');
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
  const patch = (url: string, headers: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url, headers, payload: payload as Record<string, unknown> });

  describe('GET /v1/users/me', () => {
    it('returns the caller and nothing secret', async () => {
      const me = await registerAndLogin(t.app, { name: 'Grace' });

      const res = await get('/v1/users/me', me.auth);

      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json()).sort()).toEqual(USER_KEYS);
      expect(res.json()).toMatchObject({ id: me.id, email: me.email, name: 'Grace', role: 'USER', status: 'ACTIVE' });
    });

    it('is served from the cache and invalidated by a change', async () => {
      const me = await registerAndLogin(t.app, { name: 'Before' });
      await get('/v1/users/me', me.auth);
      // Written behind the API's back: a cache hit cannot see it.
      await t.app.get(PrismaService).user.update({ where: { id: me.id }, data: { name: 'Behind the back' } });

      const cached = await get('/v1/users/me', me.auth);
      expect(cached.json().name).toBe('Before');

      await patch('/v1/users/me', me.auth, { name: 'After' });
      const fresh = await get('/v1/users/me', me.auth);
      expect(fresh.json().name).toBe('After');
    });

    it('keeps the entry in Redis under the users namespace', async () => {
      if (process.env.TEST_REDIS_MODE !== 'redis') return expect(t.config.cache.redisUrl).toBeUndefined();
      const me = await registerAndLogin(t.app);
      await get('/v1/users/me', me.auth);
      const redis = createClient({ url: TEST_REDIS_URL });
      await redis.connect();
      try {
        expect(await redis.exists(`${t.cachePrefix}:users:me:${me.id}`)).toBe(1);
      } finally {
        await redis.close();
      }
    });

    it('requires a token', async () => {
      const res = await get('/v1/users/me', {});

      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'INVALID_ACCESS_TOKEN', status: 401 });
    });
  });

  describe('PATCH /v1/users/me', () => {
    it('changes the name', async () => {
      const me = await registerAndLogin(t.app);

      const res = await patch('/v1/users/me', me.auth, { name: '  Katherine  ' });

      expect(res.statusCode).toBe(200);
      expect(res.json().name).toBe('Katherine');
    });

    it.each([
      [{ role: 'ADMIN' }, [{ field: 'role', message: 'property role should not exist' }]],
      [{ passwordHash: 'x' }, [{ field: 'passwordHash', message: 'property passwordHash should not exist' }]],
      [{ status: 'ACTIVE', name: 'ok' }, [{ field: 'status', message: 'property status should not exist' }]],
      [{ emailVerified: true }, [{ field: 'emailVerified', message: 'property emailVerified should not exist' }]],
      [
        { name: '' },
        [
          { field: 'name', message: 'name must be on one line' },
          { field: 'name', message: 'name must be longer than or equal to 1 characters' },
        ],
      ],
      [{ name: 'Eve\nBcc: all@example.com' }, [{ field: 'name', message: 'name must be on one line' }]],
      [{ email: 'not-an-email' }, [{ field: 'email', message: 'email must be an email' }]],
    ])('refuses %j (mass assignment and validation) with a 400 and changes nothing', async (body, errors) => {
      const me = await registerAndLogin(t.app, { name: 'Unchanged' });

      const res = await patch('/v1/users/me', me.auth, body);

      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        type: 'urn:problem-type:validation-failed',
        title: 'Bad Request',
        status: 400,
        detail: 'The request is invalid.',
        instance: '/v1/users/me',
        code: 'VALIDATION_FAILED',
        requestId: res.headers['x-request-id'],
        errors,
      });
      const stored = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: me.id } });
      expect(stored).toMatchObject({ role: 'USER', name: 'Unchanged', status: 'ACTIVE' });
    });

    it.each([
      ['name', (me: TestAccount) => ({ name: null, currentPassword: me.password })],
      ['email', (me: TestAccount) => ({ email: null, currentPassword: me.password })],
      ['currentPassword', () => ({ name: 'Renamed', currentPassword: null })],
    ])('refuses a null %s with a 400 on that field and changes nothing', async (field, body) => {
      const me = await registerAndLogin(t.app, { name: 'Unchanged' });

      const res = await patch('/v1/users/me', me.auth, body(me));

      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(res.json().errors).toContainEqual({ field, message: `${field} must not be null` });
      expect(res.json().errors.every((error: { field: string }) => error.field === field)).toBe(true);
      const stored = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: me.id } });
      expect(stored).toMatchObject({ name: 'Unchanged', email: me.email, pendingEmail: null });
    });

    it('only ever changes the caller (another user is untouched)', async () => {
      const alice = await registerAndLogin(t.app, { name: 'Alice' });
      const bob = await registerAndLogin(t.app, { name: 'Bob' });

      await patch('/v1/users/me', bob.auth, { name: 'Bob 2' });

      expect((await get('/v1/users/me', alice.auth)).json().name).toBe('Alice');
      expect((await get('/v1/users/me', bob.auth)).json().name).toBe('Bob 2');
    });
  });

  describe('DELETE /v1/users/me', () => {
    it('requires the password', async () => {
      const me = await registerAndLogin(t.app);

      const res = await t.app.inject({
        method: 'DELETE',
        url: '/v1/users/me',
        headers: me.auth,
        payload: { password: 'wrong-password' },
      });

      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'password', message: 'password is incorrect' }],
      });
    });

    it('soft-deletes, scrubs personal data, ends every session and frees the email', async () => {
      const me = await registerAndLogin(t.app, { name: 'Leaving' });
      const other = await login(t.app, me.email, me.password);

      const res = await t.app.inject({
        method: 'DELETE',
        url: '/v1/users/me',
        headers: me.auth,
        payload: { password: me.password },
      });

      expect(res.statusCode).toBe(204);
      const row = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: me.id } });
      expect(row).toMatchObject({
        status: 'DELETED',
        name: 'Deleted user',
        email: `DELETED+${me.id}@deleted.invalid`,
        pendingEmail: null,
      });
      expect(row.deletedAt).toBeInstanceOf(Date);
      expect((await get('/v1/users/me', me.auth)).statusCode).toBe(401);
      expect((await get('/v1/users/me', bearer(other.accessToken))).statusCode).toBe(401);
      const relogin = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: me.email, password: me.password },
      });
      expect(relogin.statusCode).toBe(401);
      await expect(registerAndLogin(t.app, { email: me.email })).resolves.toMatchObject({ email: me.email });
    });

    it('deletes even when another row holds the old placeholder address deletion once wrote', async () => {
      const me = await registerAndLogin(t.app);
      const user = await registerAndLogin(t.app);
      // As anyone could register them before addresses under .invalid were refused.
      const prisma = t.app.get(PrismaService);
      for (const id of [me.id, user.id]) {
        await prisma.user.create({
          data: { email: `deleted+${id}@deleted.invalid`, name: 'Squatter', passwordHash: 'x' },
        });
      }

      const own = await t.app.inject({
        method: 'DELETE',
        url: '/v1/users/me',
        headers: me.auth,
        payload: { password: me.password },
      });
      const byAdmin = await t.app.inject({ method: 'DELETE', url: `/v1/users/${user.id}`, headers: admin.auth });

      expect([own.statusCode, byAdmin.statusCode]).toEqual([204, 204]);
      const rows = await prisma.user.findMany({ where: { id: { in: [me.id, user.id] } } });
      expect(rows.map((row) => row.status)).toEqual(['DELETED', 'DELETED']);
    });
  });

  describe('admin routes', () => {
    it('lists users with cursor pagination, newest first, until the last page', async () => {
      const prefix = `page-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 5; i++) await registerAndLogin(t.app, { email: `${prefix}-${i}@example.com` });

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `emailPrefix=${prefix}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await get(`/v1/users?${query}`, admin.auth);
        expect(res.statusCode).toBe(200);
        const page = res.json() as {
          items: Array<{ email: string; deletedAt: string | null }>;
          nextCursor: string | null;
        };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((user) => user.email));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);

      expect(pages).toBe(3);
      expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `${prefix}-${i}@example.com`));
    });

    it('filters by role and status, sorts by email, and hides deleted users unless asked', async () => {
      const prefix = `filter-${randomUUID().slice(0, 8)}`;
      const b = await registerAndLogin(t.app, { email: `${prefix}-b@example.com` });
      await registerAndLogin(t.app, { email: `${prefix}-a@example.com` });
      const c = await registerAndLogin(t.app, { email: `${prefix}-c@example.com` });
      await patch(`/v1/users/${b.id}`, admin.auth, { status: 'DISABLED' });
      await t.app.inject({ method: 'DELETE', url: `/v1/users/${c.id}`, headers: admin.auth });

      const byEmail = await get(`/v1/users?emailPrefix=${prefix}&sort=email&order=asc`, admin.auth);
      const disabled = await get(`/v1/users?emailPrefix=${prefix}&status=DISABLED`, admin.auth);
      const deleted = await get(`/v1/users?status=DELETED&limit=100`, admin.auth);
      const admins = await get(`/v1/users?role=ADMIN&limit=100`, admin.auth);

      expect(byEmail.json().items.map((u: { email: string }) => u.email)).toEqual([
        `${prefix}-a@example.com`,
        `${prefix}-b@example.com`,
      ]);
      expect(disabled.json().items.map((u: { id: string }) => u.id)).toEqual([b.id]);
      expect(deleted.json().items.map((u: { id: string }) => u.id)).toContain(c.id);
      expect(admins.json().items.every((u: { role: string }) => u.role === 'ADMIN')).toBe(true);
    });

    it.each([
      ['limit=0', 'limit', 'limit must not be less than 1'],
      ['limit=101', 'limit', 'limit must not be greater than 100'],
      ['role=ROOT', 'role', expect.stringContaining('role must be one of')],
      ['sort=password', 'sort', expect.stringContaining('sort must be one of')],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor', 'cursor is not a valid page cursor'],
    ])('rejects ?%s with a 400', async (query, field, message) => {
      const res = await get(`/v1/users?${query}`, admin.auth);

      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field, message }] });
    });

    it('gets one user, 404 for an unknown id, 400 for a malformed one', async () => {
      const user = await registerAndLogin(t.app);

      expect((await get(`/v1/users/${user.id}`, admin.auth)).json()).toMatchObject({ id: user.id, deletedAt: null });
      const missing = await get(`/v1/users/${randomUUID()}`, admin.auth);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'USER_NOT_FOUND', detail: 'No such user.' });
      expect((await get('/v1/users/not-a-uuid', admin.auth)).statusCode).toBe(400);
    });

    it('changing a role signs the user out everywhere; the new role applies at the next sign-in', async () => {
      const user = await registerAndLogin(t.app);

      const res = await patch(`/v1/users/${user.id}`, admin.auth, { role: 'ADMIN' });

      expect(res.statusCode).toBe(200);
      expect(res.json().role).toBe('ADMIN');
      expect((await get('/v1/users/me', user.auth)).statusCode).toBe(401);
      const again = await login(t.app, user.email, user.password);
      expect((await get('/v1/users?limit=1', bearer(again.accessToken))).statusCode).toBe(200);
    });

    it('refuses an admin changing or deleting themselves', async () => {
      const self = await patch(`/v1/users/${admin.id}`, admin.auth, { status: 'DISABLED' });
      const del = await t.app.inject({ method: 'DELETE', url: `/v1/users/${admin.id}`, headers: admin.auth });

      expect(self.statusCode).toBe(403);
      expect(self.json()).toMatchObject({ code: 'ADMIN_SELF_CHANGE_FORBIDDEN' });
      expect(del.statusCode).toBe(403);
    });

    it.each(['role', 'status'])('refuses a null %s with a 400 on that field and changes nothing', async (field) => {
      const user = await registerAndLogin(t.app);

      const res = await patch(`/v1/users/${user.id}`, admin.auth, { [field]: null });

      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(res.json().errors).toContainEqual({ field, message: `${field} must not be null` });
      expect(res.json().errors.every((error: { field: string }) => error.field === field)).toBe(true);
      const stored = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: user.id } });
      expect(stored).toMatchObject({ role: 'USER', status: 'ACTIVE' });
    });

    it('cannot set DELETED through PATCH', async () => {
      const user = await registerAndLogin(t.app);

      const res = await patch(`/v1/users/${user.id}`, admin.auth, { status: 'DELETED' });

      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        { field: 'status', message: expect.stringContaining('status must be one of') },
      ]);
    });

    it('deletes a user', async () => {
      const user = await registerAndLogin(t.app);

      const res = await t.app.inject({ method: 'DELETE', url: `/v1/users/${user.id}`, headers: admin.auth });

      expect(res.statusCode).toBe(204);
      expect((await get('/v1/users/me', user.auth)).statusCode).toBe(401);
      expect((await get(`/v1/users/${user.id}`, admin.auth)).json()).toMatchObject({ status: 'DELETED' });
      expect(
        (await t.app.inject({ method: 'DELETE', url: `/v1/users/${user.id}`, headers: admin.auth })).statusCode,
      ).toBe(404);
    });
  });

  describe('access control across users', () => {
    it('gives a plain user 403 on every admin route, even with valid ids', async () => {
      const user = await registerAndLogin(t.app);
      const victim = await registerAndLogin(t.app);
      const attempts = [
        t.app.inject({ method: 'GET', url: '/v1/users', headers: user.auth }),
        t.app.inject({ method: 'GET', url: `/v1/users/${victim.id}`, headers: user.auth }),
        t.app.inject({
          method: 'PATCH',
          url: `/v1/users/${victim.id}`,
          headers: user.auth,
          payload: { status: 'DISABLED' },
        }),
        t.app.inject({ method: 'PATCH', url: `/v1/users/${user.id}`, headers: user.auth, payload: { role: 'ADMIN' } }),
        t.app.inject({ method: 'DELETE', url: `/v1/users/${victim.id}`, headers: user.auth }),
      ];

      for (const res of await Promise.all(attempts)) {
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', status: 403 });
      }
      const stored = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: victim.id } });
      expect(stored).toMatchObject({ status: 'ACTIVE', role: 'USER' });
      expect((await get('/v1/users/me', victim.auth)).statusCode).toBe(200);
    });

    it("never lets one user revoke, list or read another user's sessions", async () => {
      const alice = await registerAndLogin(t.app);
      const mallory = await registerAndLogin(t.app);
      const aliceSessions = (await get('/v1/auth/sessions', alice.auth)).json() as Array<{ id: string }>;

      const listed = (await get('/v1/auth/sessions', mallory.auth)).json() as Array<{ id: string }>;
      const revoke = await t.app.inject({
        method: 'DELETE',
        url: `/v1/auth/sessions/${aliceSessions[0]?.id}`,
        headers: mallory.auth,
      });

      expect(listed.map((s) => s.id)).not.toContain(aliceSessions[0]?.id);
      expect(revoke.statusCode).toBe(404);
      expect((await get('/v1/users/me', alice.auth)).statusCode).toBe(200);
    });
  });
});
