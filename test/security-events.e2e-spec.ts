import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@app/database';
import { createAccountWithRole, login, registerAndLogin, bearer, type TestAccount } from './utils/auth.js';
import { INVALID_ACCESS_TOKEN, VALIDATION_FAILED, expectProblem } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const MINE = '/v1/users/me/security-events';
const ALL = '/v1/security-events';

interface Event {
  id: string;
  type: string;
  createdAt: string;
  actor: { kind: 'SELF' | 'ADMIN' | 'ANONYMOUS'; id: string | null };
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  details: Record<string, unknown>;
  userId?: string | null;
}
interface EventPage {
  items: Event[];
  nextCursor: string | null;
}

const EVENT_KEYS = ['actor', 'createdAt', 'details', 'id', 'ip', 'sessionId', 'type', 'userAgent'];

const INSUFFICIENT_PERMISSIONS = {
  type: 'urn:problem-type:insufficient-permissions',
  title: 'Forbidden',
  status: 403,
  detail: 'You are not allowed to do this.',
  code: 'INSUFFICIENT_PERMISSIONS',
};

/**
 * The security event log through HTTP: every entry says what happened, to whom, by whom, from
 * where and when (OWASP ASVS 5.0 V16, "Security Logging and Error Handling"); a user reads only the
 * entries about their own account, and only holders of `audit:read` read the whole log.
 */
describe('security events (e2e)', () => {
  let t: TestApp;
  let admin: TestAccount;
  const started = new Date();

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAccountWithRole(t.app, 'ADMIN');
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const page = async (url: string, who: { auth: Record<string, string> }): Promise<EventPage> => {
    const res = await get(url, who.auth);
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    return res.json() as EventPage;
  };

  /** Every entry of a list, page by page (pages of `limit`), following nextCursor. */
  async function walk(url: string, who: { auth: Record<string, string> }, limit = 1): Promise<Event[]> {
    const items: Event[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const query = `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const next = await page(`${url}${url.includes('?') ? '&' : '?'}${query}`, who);
      items.push(...next.items);
      cursor = next.nextCursor;
      if (!cursor) return items;
    }
    throw new Error(`${url} never reached its last page`);
  }

  /** Signs in from `ip` with `userAgent`, the way a browser would. */
  async function signInFrom(account: TestAccount, ip: string, userAgent: string, password = account.password) {
    return t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: account.email, password },
      remoteAddress: ip,
      headers: { 'user-agent': userAgent },
    });
  }

  const newestFirst = (items: Event[]) =>
    [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));

  describe(`GET ${MINE}`, () => {
    it('records a sign-in with who, when, from which address and client (ASVS 5.0 16.2.1, 16.3.1)', async () => {
      const me = await registerAndLogin(t.app);
      const before = Date.now();
      const res = await signInFrom(me, '203.0.113.21', 'AuditBrowser/1.0');
      expect(res.statusCode).toBe(200);

      const { items } = await page(MINE, me);

      expect(Object.keys(items[0] ?? {}).sort()).toEqual(EVENT_KEYS);
      expect(items[0]).toMatchObject({
        type: 'LOGIN_SUCCEEDED',
        actor: { kind: 'SELF', id: me.id },
        ip: '203.0.113.21',
        userAgent: 'AuditBrowser/1.0',
        details: {},
      });
      const at = Date.parse(items[0]?.createdAt ?? '');
      expect(at).toBeGreaterThanOrEqual(before - 1_000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
      // UTC, with its offset written out (ASVS 5.0 16.2.2).
      expect(items[0]?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('records a failed sign-in on the account, with no actor and its reason (ASVS 5.0 16.3.1)', async () => {
      const me = await registerAndLogin(t.app);
      const res = await signInFrom(me, '203.0.113.22', 'Guesser/0.1', 'wrong-password');
      expect(res.statusCode).toBe(401);

      const { items } = await page(MINE, me);

      expect(items[0]).toMatchObject({
        type: 'LOGIN_FAILED',
        actor: { kind: 'ANONYMOUS', id: null },
        ip: '203.0.113.22',
        userAgent: 'Guesser/0.1',
        details: { reason: 'wrong_password' },
      });
    });

    it('records self-service changes with the user as actor: a password change, the sign-out it causes', async () => {
      const me = await registerAndLogin(t.app);
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/password/change',
        headers: { ...me.auth, 'user-agent': 'Settings/2.0' },
        payload: { currentPassword: me.password, newPassword: `${me.password}-new` },
        remoteAddress: '203.0.113.23',
      });
      expect(res.statusCode).toBe(204);

      const { items } = await page(MINE, me);

      // Recorded by one request, maybe in the same millisecond: compared in type order.
      const changed = items.filter((event) => event.ip === '203.0.113.23').sort((a, b) => a.type.localeCompare(b.type));
      expect(changed.map(({ type, actor, userAgent, details }) => ({ type, actor, userAgent, details }))).toEqual([
        {
          type: 'ALL_SESSIONS_REVOKED',
          actor: { kind: 'SELF', id: me.id },
          userAgent: 'Settings/2.0',
          details: { reason: 'PASSWORD_CHANGED', count: 0 },
        },
        { type: 'PASSWORD_CHANGED', actor: { kind: 'SELF', id: me.id }, userAgent: 'Settings/2.0', details: {} },
      ]);
    });

    it("shows an administrator's changes to the account with the administrator as actor (ASVS 5.0 16.2.1)", async () => {
      const me = await registerAndLogin(t.app);
      const change = (payload: object) =>
        t.app.inject({
          method: 'PATCH',
          url: `/v1/users/${me.id}`,
          headers: { ...admin.auth, 'user-agent': 'AdminConsole/3.1' },
          payload,
          remoteAddress: '198.51.100.7',
        });
      expect((await change({ status: 'DISABLED' })).statusCode).toBe(200);
      expect((await change({ status: 'ACTIVE' })).statusCode).toBe(200);
      expect((await change({ role: 'ADMIN' })).statusCode).toBe(200);
      const again = bearer((await login(t.app, me.email, me.password)).accessToken);

      const { items } = await page(MINE, { auth: again });

      const byAdmin = items.filter((event) => event.actor.kind === 'ADMIN');
      expect(byAdmin.map(({ type, details }) => ({ type, details }))).toEqual(
        expect.arrayContaining([
          { type: 'USER_DISABLED', details: {} },
          { type: 'ALL_SESSIONS_REVOKED', details: { reason: 'USER_DISABLED', count: 1 } },
          { type: 'USER_ENABLED', details: {} },
          { type: 'ROLE_CHANGED', details: { previousRole: 'USER', newRole: 'ADMIN' } },
          { type: 'ALL_SESSIONS_REVOKED', details: { reason: 'ROLE_CHANGED', count: 0 } },
        ]),
      );
      expect(byAdmin).toHaveLength(5);
      for (const event of byAdmin) {
        expect(event).toMatchObject({
          actor: { kind: 'ADMIN', id: admin.id },
          ip: '198.51.100.7',
          userAgent: 'AdminConsole/3.1',
        });
      }
      // The administrator's id, never their address or anyone's (ASVS 5.0 16.2.5).
      expect(JSON.stringify(items)).not.toMatch(/@/);
    });

    it("lists only the caller's own events, never another user's (ASVS 5.0 8.2.2, 16.4.2)", async () => {
      const alice = await registerAndLogin(t.app);
      const bob = await registerAndLogin(t.app);
      await signInFrom(bob, '203.0.113.24', 'Bob/1.0', 'wrong-password');

      const aliceEvents = await walk(MINE, alice, 100);
      const bobEvents = await walk(MINE, bob, 100);

      const stored = (userId: string) =>
        t.app.get(PrismaService).securityEvent.findMany({ where: { userId }, select: { id: true } });
      expect(aliceEvents.map((event) => event.id).sort()).toEqual((await stored(alice.id)).map((e) => e.id).sort());
      expect(bobEvents.map((event) => event.id).sort()).toEqual((await stored(bob.id)).map((e) => e.id).sort());
      expect(aliceEvents.some((event) => bobEvents.some((other) => other.id === event.id))).toBe(false);
      expect(aliceEvents.map((event) => event.type)).not.toContain('LOGIN_FAILED');
    });

    it('pages through every event once, newest first, ties broken by id', async () => {
      const me = await registerAndLogin(t.app);
      for (let i = 0; i < 4; i++) await login(t.app, me.email, me.password);
      // Two events in the same millisecond: the id decides their order.
      const at = new Date('2026-03-01T00:00:00.000Z');
      await t.app.get(PrismaService).securityEvent.createMany({
        data: [1, 2].map(() => ({ userId: me.id, actorId: me.id, type: 'LOGIN_SUCCEEDED', createdAt: at })),
      });

      const paged = await walk(MINE, me, 2);
      const whole = (await page(`${MINE}?limit=100`, me)).items;

      expect(paged.length).toBe(7);
      expect(paged).toEqual(whole);
      expect(new Set(paged.map((event) => event.id)).size).toBe(paged.length);
      expect(paged).toEqual(newestFirst(paged));
    });

    it('requires a token', async () => {
      expectProblem(await get(MINE), INVALID_ACCESS_TOKEN, MINE);
    });
  });

  describe(`GET ${ALL}`, () => {
    /** An account with events at known instants, recorded behind the API's back. */
    async function accountWithDatedEvents() {
      const target = await registerAndLogin(t.app);
      const dated = ['2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z', '2025-01-03T00:00:00.000Z'];
      await t.app.get(PrismaService).securityEvent.createMany({
        data: dated.map((at) => ({
          userId: target.id,
          actorId: admin.id,
          type: 'USER_ENABLED',
          createdAt: new Date(at),
        })),
      });
      return { target, dated };
    }

    it('refuses an account without audit:read with a 403, and a caller without a token with a 401 (ASVS 5.0 8.2.1, 16.4.2)', async () => {
      const user = await registerAndLogin(t.app);

      expectProblem(await get(ALL, user.auth), INSUFFICIENT_PERMISSIONS, ALL);
      expectProblem(await get(`${ALL}?userId=${user.id}`, user.auth), INSUFFICIENT_PERMISSIONS, `${ALL}`);
      expectProblem(await get(ALL), INVALID_ACCESS_TOKEN, ALL);
    });

    it('answers every event with its target, actor, address and time (ASVS 5.0 16.2.1)', async () => {
      const target = await registerAndLogin(t.app);
      await t.app.inject({
        method: 'DELETE',
        url: `/v1/users/${target.id}`,
        headers: { ...admin.auth, 'user-agent': 'AdminConsole/3.1' },
        remoteAddress: '198.51.100.8',
      });

      const { items } = await page(`${ALL}?userId=${target.id}&type=USER_DELETED`, admin);

      expect(items).toHaveLength(1);
      expect(Object.keys(items[0] ?? {}).sort()).toEqual([...EVENT_KEYS, 'userId'].sort());
      expect(items[0]).toMatchObject({
        type: 'USER_DELETED',
        userId: target.id,
        actor: { kind: 'ADMIN', id: admin.id },
        ip: '198.51.100.8',
        userAgent: 'AdminConsole/3.1',
      });
    });

    it('filters by target: only the events about that account', async () => {
      const target = await registerAndLogin(t.app);
      await login(t.app, target.email, target.password);

      const items = await walk(`${ALL}?userId=${target.id}`, admin, 100);

      expect(items.map((event) => event.type)).toEqual(['LOGIN_SUCCEEDED', 'LOGIN_SUCCEEDED']);
      expect(items.every((event) => event.userId === target.id)).toBe(true);
    });

    it('filters by actor: what an administrator did, to others and to themself', async () => {
      const actingAdmin = await createAccountWithRole(t.app, 'ADMIN');
      const target = await registerAndLogin(t.app);
      await t.app.inject({
        method: 'PATCH',
        url: `/v1/users/${target.id}`,
        headers: actingAdmin.auth,
        payload: { status: 'DISABLED' },
      });

      const items = await walk(`${ALL}?actorId=${actingAdmin.id}`, admin, 100);

      const entries = items.map(({ type, userId, actor }) => ({ type, userId, actor }));
      expect(entries).toHaveLength(3);
      // Its sign-in came first; the disable's two events (one request) in either order.
      expect(entries[2]).toEqual({
        type: 'LOGIN_SUCCEEDED',
        userId: actingAdmin.id,
        actor: { kind: 'SELF', id: actingAdmin.id },
      });
      expect(entries.slice(0, 2)).toEqual(
        expect.arrayContaining([
          { type: 'ALL_SESSIONS_REVOKED', userId: target.id, actor: { kind: 'ADMIN', id: actingAdmin.id } },
          { type: 'USER_DISABLED', userId: target.id, actor: { kind: 'ADMIN', id: actingAdmin.id } },
        ]),
      );
    });

    it('filters by type, and shows failed sign-ins with an unknown email: no target, no actor (ASVS 5.0 16.3.1)', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong-password' },
        remoteAddress: '203.0.113.25',
        headers: { 'user-agent': 'Sprayer/1.0' },
      });
      expect(res.statusCode).toBe(401);

      const items = await walk(`${ALL}?type=LOGIN_FAILED&from=${started.toISOString()}`, admin, 100);

      expect(items.every((event) => event.type === 'LOGIN_FAILED')).toBe(true);
      expect(items).toContainEqual(
        expect.objectContaining({
          userId: null,
          actor: { kind: 'ANONYMOUS', id: null },
          ip: '203.0.113.25',
          userAgent: 'Sprayer/1.0',
          details: { reason: 'unknown_email' },
        }),
      );
    });

    it.each([
      ['from only: at or after it', 'from=2025-01-02T00:00:00Z', [2, 1]],
      ['to only: strictly before it', 'to=2025-01-02T00:00:00Z', [0]],
      ['from and to', 'from=2025-01-01T00:00:00.001Z&to=2025-01-03T00:00:00Z', [1]],
      ['an offset', 'from=2025-01-02T01:00:00%2B01:00&to=2025-01-02T01:00:00.001%2B01:00', [1]],
      ['a range with nothing in it', 'from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z', []],
    ])('filters by time range, %s', async (_label, range, expected) => {
      const { target, dated } = await accountWithDatedEvents();

      const items = await walk(`${ALL}?userId=${target.id}&type=USER_ENABLED&${range}`, admin, 1);

      expect(items.map((event) => event.createdAt)).toEqual(expected.map((i) => dated[i]));
    });

    it('combines the filters, and pages through them once, newest first', async () => {
      const { target, dated } = await accountWithDatedEvents();
      const query = `${ALL}?userId=${target.id}&actorId=${admin.id}&type=USER_ENABLED&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`;

      const paged = await walk(query, admin, 1);

      expect(paged.map((event) => event.createdAt)).toEqual([...dated].reverse());
      expect(paged).toEqual(newestFirst(paged));
    });

    it.each([
      ['an unknown type', 'type=LOGIN_HACKED', 'type', 'type must be one of the following values: '],
      ['a target that is no id', 'userId=admin@example.com', 'userId', 'userId must be a UUID'],
      ['an actor that is no id', 'actorId=42', 'actorId', 'actorId must be a UUID'],
      ['a date without a time', 'from=2026-01-02', 'from', 'from must be a date-time with a time zone'],
      ['a date-time without an offset', 'to=2026-01-02T03:04:05', 'to', 'to must be a date-time with a time zone'],
      ['an impossible date', 'from=2026-02-30T00:00:00Z', 'from', 'from must be a date-time with a time zone'],
      ['year 0', 'to=0000-01-01T00:00:00Z', 'to', 'to must be a date-time with a time zone'],
      ['text', 'from=yesterday', 'from', 'from must be a date-time with a time zone'],
      ['a to before from', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to', 'to must be later than from'],
      ['an unknown filter', 'ip=203.0.113.7', 'ip', 'property ip should not exist'],
    ])('refuses %s with a 400 VALIDATION_FAILED on that field', async (_label, query, field, message) => {
      const res = await get(`${ALL}?${query}`, admin.auth);

      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ ...VALIDATION_FAILED, instance: ALL });
      expect(res.json().errors).toEqual([{ field, message: expect.stringContaining(message) }]);
    });

    it('offers no way to change or remove an entry (ASVS 5.0 16.4.2)', async () => {
      const [event] = (await page(`${ALL}?limit=1`, admin)).items;

      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        for (const url of [ALL, `${ALL}/${event?.id}`, MINE]) {
          const res = await t.app.inject({ method, url, headers: admin.auth, payload: {} });
          expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 404 });
        }
      }
    });
  });
});
