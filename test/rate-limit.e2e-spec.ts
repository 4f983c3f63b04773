import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '@app/database';
import { bearer, strongPassword, uniqueEmail } from './utils/auth.js';
import { loginFrom, nextIp, registerFromNewAddress, send } from './utils/clients.js';
import { pathOf, readSpec, walkedOperations } from './utils/openapi-spec.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const AUTH_LIMIT = 3;
const GENERAL_LIMIT = 20;
const LIMITS = { RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_LIMIT), RATE_LIMIT_PER_MINUTE: String(GENERAL_LIMIT) };

const RATE_LIMITED = {
  type: 'urn:problem-type:rate-limited',
  title: 'Too Many Requests',
  status: 429,
  detail: 'Too many requests. Retry later.',
  code: 'RATE_LIMITED',
};

/** The exact 429: problem+json body, and a Retry-After in whole seconds within the one-minute window. */
function expectRateLimited(res: LightMyRequestResponse, instance: string) {
  expect({ status: res.statusCode, body: res.json() }).toEqual({
    status: 429,
    body: { ...RATE_LIMITED, instance, requestId: res.headers['x-request-id'] },
  });
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const retryAfter = String(res.headers['retry-after']);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  // The limit that was exceeded, as on every answer of a rate-limited route.
  expect(Number(res.headers['x-ratelimit-limit'])).toBeGreaterThanOrEqual(1);
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
  expect(Number(res.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
}

const registerAccount = (app: NestFastifyApplication) => registerFromNewAddress(app);

/** Signs in from an address of its own, for the same reason. */
async function signIn(app: NestFastifyApplication, account: { email: string; password: string }) {
  const res = await loginFrom(app, nextIp(), account.email, account.password);
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json() as { accessToken: string; refreshToken: string };
}

describe('rate limits (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: LIMITS });
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('sign-in', () => {
    it('refuses the 4th attempt within a minute with a problem+json 429 and Retry-After, even with the right password', async () => {
      const account = await registerAccount(t.app);
      const ip = nextIp();

      for (let attempt = 1; attempt <= AUTH_LIMIT; attempt++) {
        const res = await loginFrom(t.app, ip, account.email, `wrong-password-${attempt}`);
        expect({ attempt, status: res.statusCode, code: res.json().code }).toEqual({
          attempt,
          status: 401,
          code: 'INVALID_CREDENTIALS',
        });
      }

      expectRateLimited(await loginFrom(t.app, ip, account.email, 'wrong-password-4'), '/v1/auth/login');
      expectRateLimited(await loginFrom(t.app, ip, account.email, account.password), '/v1/auth/login');
    });

    it('does not count requests per account: after 3 wrong passwords from other addresses the owner still signs in (ASVS 5.0 6.1.1)', async () => {
      // Guessing per account is stopped by the failed-sign-in lockout instead (login-lockout.e2e-spec.ts).
      const account = await registerAccount(t.app);
      // Every spelling is the same account.
      const capitalised = account.email.charAt(0).toUpperCase() + account.email.slice(1);
      const spellings = [account.email, account.email.toUpperCase(), capitalised];

      for (const [i, email] of spellings.entries()) {
        const res = await loginFrom(t.app, nextIp(), email, `wrong-password-${i}`);
        expect({ attempt: i + 1, status: res.statusCode }).toEqual({ attempt: i + 1, status: 401 });
      }

      expect((await loginFrom(t.app, nextIp(), account.email, account.password)).statusCode).toBe(200);
    });

    it('counts per address: a new email each time from the same address is still refused on the 4th try', async () => {
      const ip = nextIp();

      for (let attempt = 1; attempt <= AUTH_LIMIT; attempt++) {
        const res = await loginFrom(t.app, ip, uniqueEmail('spray'), 'wrong-password');
        expect({ attempt, status: res.statusCode }).toEqual({ attempt, status: 401 });
      }

      expectRateLimited(await loginFrom(t.app, ip, uniqueEmail('spray'), 'wrong-password'), '/v1/auth/login');
    });

    it('honours the client address behind a trusted proxy (X-Forwarded-For)', async () => {
      const proxied = await createTestApp({ env: { ...LIMITS, TRUST_PROXY: 'true' }, database: t.database });
      try {
        const proxy = nextIp();
        const attempt = (client: string) =>
          send(proxied.app, proxy, {
            method: 'POST',
            url: '/v1/auth/login',
            payload: { email: uniqueEmail('proxied'), password: 'wrong-password' },
            headers: { 'x-forwarded-for': client },
          });
        const client = nextIp();

        for (let i = 1; i <= AUTH_LIMIT; i++) expect((await attempt(client)).statusCode).toBe(401);

        expectRateLimited(await attempt(client), '/v1/auth/login');
        // Another client behind the same proxy has its own counter.
        expect((await attempt(nextIp())).statusCode).toBe(401);
      } finally {
        await proxied.close();
      }
    });
  });

  describe('other credential routes', () => {
    it('limits registration: the 4th account from one address is refused and not created', async () => {
      const ip = nextIp();
      const register = (email: string) =>
        send(t.app, ip, {
          method: 'POST',
          url: '/v1/auth/register',
          payload: { email, password: strongPassword(), name: 'Bulk' },
        });

      for (let i = 1; i <= AUTH_LIMIT; i++) expect((await register(uniqueEmail('bulk'))).statusCode).toBe(201);

      const fourth = uniqueEmail('bulk');
      expectRateLimited(await register(fourth), '/v1/auth/register');
      expect(await t.app.get(PrismaService).user.count({ where: { email: fourth } })).toBe(0);
    });

    it('limits refresh: the 4th call is refused before the token is looked at (a valid one stays usable)', async () => {
      const account = await registerAccount(t.app);
      const tokens = await signIn(t.app, account);
      const ip = nextIp();
      const refresh = (refreshToken: string, from = ip) =>
        send(t.app, from, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

      for (let i = 1; i <= AUTH_LIMIT; i++)
        expect((await refresh(randomBytes(32).toString('base64url'))).statusCode).toBe(401);

      expectRateLimited(await refresh(tokens.refreshToken), '/v1/auth/refresh');
      expect((await refresh(tokens.refreshToken, nextIp())).statusCode).toBe(200);
    });

    it('limits forgot-password: the 4th request from one address is refused', async () => {
      const ip = nextIp();
      const forgot = () =>
        send(t.app, ip, { method: 'POST', url: '/v1/auth/password/forgot', payload: { email: uniqueEmail('forgot') } });

      for (let i = 1; i <= AUTH_LIMIT; i++) expect((await forgot()).statusCode).toBe(202);

      expectRateLimited(await forgot(), '/v1/auth/password/forgot');
    });
  });

  describe('general limit', () => {
    it(`applies to every other route: GET /v1/users/me number ${GENERAL_LIMIT + 1} within a minute is refused`, async () => {
      const account = await registerAccount(t.app);
      const auth = bearer((await signIn(t.app, account)).accessToken);
      const ip = nextIp();
      const getMe = () => send(t.app, ip, { method: 'GET', url: '/v1/users/me', headers: auth });

      for (let i = 1; i <= GENERAL_LIMIT; i++) {
        const res = await getMe();
        expect({ request: i, status: res.statusCode }).toEqual({ request: i, status: 200 });
      }

      expectRateLimited(await getMe(), '/v1/users/me');
    });

    it('limits exactly the operations openapi.json documents a 429 for, each within the general limit', async () => {
      const spec = readSpec();
      const wrong: string[] = [];
      for (const op of walkedOperations(spec)) {
        const ip = nextIp();
        const url = pathOf(spec, op);
        let limitedAt: number | undefined;
        for (let request = 1; request <= GENERAL_LIMIT + 1 && limitedAt === undefined; request++) {
          const res = await send(t.app, ip, { method: op.method, url });
          if (res.statusCode !== 429) continue;
          limitedAt = request;
          expectRateLimited(res, url);
        }
        const documented = '429' in op.operation.responses;
        if (documented && limitedAt === undefined) wrong.push(`${op.name} documents a 429 but was never limited`);
        if (!documented && limitedAt !== undefined) wrong.push(`${op.name} answered 429 (request ${limitedAt})`);
      }

      expect(wrong).toEqual([]);
    });

    it('counts every X-Forwarded-For entry that is no address as one client, not one per spelling', async () => {
      // Two trusted hops with one proxy in front: the client's own entry becomes request.ip.
      const misconfigured = await createTestApp({ env: { ...LIMITS, TRUST_PROXY: '2' }, database: t.database });
      try {
        const proxy = nextIp();
        const junk = (i: number) =>
          send(misconfigured.app, proxy, {
            method: 'GET',
            url: '/v1/billing/plans',
            headers: { 'x-forwarded-for': `not-an-address-${i}` },
          });

        for (let i = 1; i <= GENERAL_LIMIT; i++) {
          const res = await junk(i);
          expect({ request: i, status: res.statusCode }).toEqual({ request: i, status: 200 });
        }

        expectRateLimited(await junk(GENERAL_LIMIT + 1), '/v1/billing/plans');
      } finally {
        await misconfigured.close();
      }
    });

    it('never limits the liveness probe', async () => {
      const ip = nextIp();

      for (let i = 1; i <= GENERAL_LIMIT * 2; i++) {
        const res = await send(t.app, ip, { method: 'GET', url: '/health/live' });
        expect({ request: i, status: res.statusCode }).toEqual({ request: i, status: 200 });
      }
    });
  });

  describe('IPv6 clients, counted by their /64', () => {
    const plans = (remoteAddress: string) => t.app.inject({ method: 'GET', url: '/v1/billing/plans', remoteAddress });

    it('shares the general limit between addresses of one /64, not with the next /64', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= GENERAL_LIMIT; i++)
        statuses.push((await plans(`2001:db8::${i % 2 === 0 ? 2 : 1}`)).statusCode);

      expect(statuses).toEqual(Array<number>(GENERAL_LIMIT).fill(200));
      expectRateLimited(await plans('2001:db8::3'), '/v1/billing/plans');
      expectRateLimited(await plans('2001:db8:0:0:ffff:ffff:ffff:ffff'), '/v1/billing/plans');
      expect((await plans('2001:db8:0:1::1')).statusCode).toBe(200);
    });

    it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
      const ip = nextIp();

      for (let i = 1; i <= GENERAL_LIMIT; i++) {
        const res = await plans(i % 2 === 0 ? ip : `::ffff:${ip}`);
        expect({ request: i, status: res.statusCode }).toEqual({ request: i, status: 200 });
      }

      expectRateLimited(await plans(ip), '/v1/billing/plans');
      expectRateLimited(await plans(`::ffff:${ip}`), '/v1/billing/plans');
    });

    it('shares the strict sign-in limit between addresses of one /64, not with the next /64', async () => {
      const attempt = (ip: string) => loginFrom(t.app, ip, uniqueEmail('v6'), 'wrong-password');

      for (let i = 1; i <= AUTH_LIMIT; i++) {
        const res = await attempt(`2001:db8:1::${i}`);
        expect({ attempt: i, status: res.statusCode }).toEqual({ attempt: i, status: 401 });
      }

      expectRateLimited(await attempt(`2001:db8:1::${AUTH_LIMIT + 1}`), '/v1/auth/login');
      expect((await attempt('2001:db8:1:1::1')).statusCode).toBe(401);
    });
  });

  describe('across instances', () => {
    const withRedis = process.env.TEST_REDIS_MODE === 'redis' ? it : it.skip;

    withRedis('counts attempts on every instance sharing the Redis prefix together', async () => {
      const other = await createTestApp({ env: LIMITS, database: t.database, cachePrefix: t.cachePrefix });
      try {
        expect(other.config.cache.redisUrl).toBeDefined();
        const ip = nextIp();
        const email = uniqueEmail('roaming');
        const instances = [t.app, other.app, t.app];

        for (const [i, app] of instances.entries()) {
          const res = await loginFrom(app, ip, email, 'wrong-password');
          expect({ attempt: i + 1, status: res.statusCode }).toEqual({ attempt: i + 1, status: 401 });
        }

        expectRateLimited(await loginFrom(other.app, ip, email, 'wrong-password'), '/v1/auth/login');
      } finally {
        await other.close();
      }
    });
  });

  describe('documentation', () => {
    interface Spec {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { headers: Record<string, unknown> };
    }
    const documents429 = (spec: Spec) => {
      expect(spec.paths['/v1/auth/login'].post.responses['429']).toMatchObject({
        headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      });
      expect(spec.components.headers['Retry-After']).toMatchObject({ required: true, schema: { type: 'integer' } });
    };

    it('documents the 429 with Retry-After on POST /v1/auth/login, in openapi.json and in the served spec', async () => {
      documents429(JSON.parse(await readFile('openapi.json', 'utf8')));

      const served = await send(t.app, nextIp(), { method: 'GET', url: '/docs/openapi.json' });
      expect(served.statusCode).toBe(200);
      documents429(served.json());
    });
  });
});
