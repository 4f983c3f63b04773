import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RedisConnection } from '@app/redis';
import { PrismaService } from '@app/database';
import { TEST_REDIS_URL } from './setup/test-env.js';
import { uniqueEmail } from './utils/auth.js';
import { loginFrom, nextIp, registerFromNewAddress } from './utils/clients.js';
import { FlakyProxy, eventually } from './utils/flaky-proxy.js';
import { OpenApiConformance } from './utils/openapi-conformance.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/**
 * The failed sign-in lockout (ASVS 5.0 6.3.1: password guessing is stopped per account; 6.1.1:
 * without letting anyone lock the owner out), after OWASP's device cookies.
 */
const CLIENT_FAILURES = 3;
const ACCOUNT_FAILURES = 6;
const WINDOW_SECONDS = 60;
const LOCKOUT = {
  LOGIN_LOCKOUT_CLIENT_FAILURES: String(CLIENT_FAILURES),
  LOGIN_LOCKOUT_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES),
  LOGIN_LOCKOUT_WINDOW: `${WINDOW_SECONDS}s`,
};

const LOCKED_OUT = {
  type: 'urn:problem-type:login-locked-out',
  title: 'Too Many Requests',
  status: 429,
  detail: 'Too many failed sign-ins. Retry later.',
  code: 'LOGIN_LOCKED_OUT',
};

const spec = new OpenApiConformance();

/** The exact lockout answer: problem+json, a Retry-After within the window, conforming to the spec. */
function expectLockedOut(res: LightMyRequestResponse): void {
  expect({ status: res.statusCode, body: res.json() }).toEqual({
    status: 429,
    body: { ...LOCKED_OUT, instance: '/v1/auth/login', requestId: res.headers['x-request-id'] },
  });
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(spec.problems('POST /v1/auth/login', res)).toEqual([]);
}

function expectStatus(res: LightMyRequestResponse, status: number, attempt?: number): void {
  expect({ attempt, status: res.statusCode, code: res.statusCode === 200 ? undefined : res.json().code }).toEqual({
    attempt,
    status,
    code: { 200: undefined, 401: 'INVALID_CREDENTIALS', 429: 'LOGIN_LOCKED_OUT' }[status],
  });
}

interface Account {
  email: string;
  password: string;
}

const registerAccount = (app: NestFastifyApplication): Promise<Account> => registerFromNewAddress(app, 'owner');

/** Signs in from `ip` and returns the device token it was given (the body's; the cookie carries the same). */
async function signInDevice(app: NestFastifyApplication, account: Account, ip: string): Promise<string> {
  const res = await loginFrom(app, ip, account.email, account.password);
  expectStatus(res, 200);
  return res.json().deviceToken;
}

/** `count` wrong passwords for `email`, each from a new address. */
async function sprayFromManyAddresses(app: NestFastifyApplication, email: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) expectStatus(await loginFrom(app, nextIp(), email, `wrong-password-${i}`), 401, i);
}

describe('failed sign-in lockout (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: LOCKOUT });
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('attackers are stopped (ASVS 5.0 6.3.1)', () => {
    it(`locks the account for clients without a device token after ${ACCOUNT_FAILURES} wrong passwords from as many addresses, even for the right password`, async () => {
      const account = await registerAccount(t.app);

      await sprayFromManyAddresses(t.app, account.email, ACCOUNT_FAILURES);

      expectLockedOut(await loginFrom(t.app, nextIp(), account.email, 'wrong-password-next'));
      expectLockedOut(await loginFrom(t.app, nextIp(), account.email.toUpperCase(), account.password));
    });

    it(`locks one address for the account after ${CLIENT_FAILURES} wrong passwords, while other addresses may still try`, async () => {
      const account = await registerAccount(t.app);
      const ip = nextIp();

      for (let i = 1; i <= CLIENT_FAILURES; i++)
        expectStatus(await loginFrom(t.app, ip, account.email, 'wrong'), 401, i);

      expectLockedOut(await loginFrom(t.app, ip, account.email, account.password));
      expectStatus(await loginFrom(t.app, nextIp(), account.email, account.password), 200);
    });

    it(`locks one IPv6 /64 for the account after ${CLIENT_FAILURES} wrong passwords from addresses in it, not the next /64`, async () => {
      const account = await registerAccount(t.app);

      for (let i = 1; i <= CLIENT_FAILURES; i++)
        expectStatus(await loginFrom(t.app, `2001:db8:2::${i}`, account.email, 'wrong'), 401, i);

      expectLockedOut(await loginFrom(t.app, `2001:db8:2::${CLIENT_FAILURES + 1}`, account.email, account.password));
      expectStatus(await loginFrom(t.app, '2001:db8:2:1::1', account.email, account.password), 200);
    });

    it('answers an unknown email exactly as an existing account: locked alike (no account enumeration)', async () => {
      const existing = await registerAccount(t.app);
      const unknown = uniqueEmail('nobody');

      await sprayFromManyAddresses(t.app, existing.email, ACCOUNT_FAILURES);
      await sprayFromManyAddresses(t.app, unknown, ACCOUNT_FAILURES);

      const [a, b] = [
        await loginFrom(t.app, nextIp(), existing.email, 'wrong'),
        await loginFrom(t.app, nextIp(), unknown, 'wrong'),
      ];
      expectLockedOut(a);
      expectLockedOut(b);
      const shape = (res: LightMyRequestResponse) => ({ ...res.json(), requestId: undefined });
      expect(shape(b)).toEqual(shape(a));
    });

    it('refuses a locked attempt before the password is checked, and records the lockout once', async () => {
      const account = await registerAccount(t.app);
      const prisma = t.app.get(PrismaService);
      const user = await prisma.user.findUniqueOrThrow({ where: { email: account.email } });
      const events = (type: string) => prisma.securityEvent.count({ where: { userId: user.id, type } });

      await sprayFromManyAddresses(t.app, account.email, ACCOUNT_FAILURES);
      for (let i = 0; i < 3; i++) expectLockedOut(await loginFrom(t.app, nextIp(), account.email, 'wrong'));

      // Each checked password leaves a LOGIN_FAILED event; the refused attempts left none.
      expect(await events('LOGIN_FAILED')).toBe(ACCOUNT_FAILURES);
      expect(await events('LOGIN_LOCKED_OUT')).toBe(1);
      const locked = await prisma.securityEvent.findFirstOrThrow({
        where: { userId: user.id, type: 'LOGIN_LOCKED_OUT' },
      });
      expect(locked.details).toEqual({ scope: 'account' });
    });

    it('counts concurrent guesses atomically: a burst from many addresses gets no more than the ceiling checked', async () => {
      const account = await registerAccount(t.app);

      const burst = await Promise.all(
        Array.from({ length: ACCOUNT_FAILURES + 4 }, (_, i) => loginFrom(t.app, nextIp(), account.email, `guess-${i}`)),
      );

      const statuses = burst.map((res) => res.statusCode).sort();
      expect(statuses).toEqual([...Array<number>(ACCOUNT_FAILURES).fill(401), ...Array<number>(4).fill(429)]);
    });
  });

  describe('the owner can still sign in (ASVS 5.0 6.1.1)', () => {
    it('signs in with the device token of an earlier sign-in (cookie or body) while the account is locked for everyone else', async () => {
      const account = await registerAccount(t.app);
      const home = nextIp();
      const first = await loginFrom(t.app, home, account.email, account.password);
      expectStatus(first, 200);
      const cookie = first.cookies.find((c) => c.name === 'device_token');
      expect(cookie?.value).toBe(first.json().deviceToken);

      await sprayFromManyAddresses(t.app, account.email, ACCOUNT_FAILURES);
      expectLockedOut(await loginFrom(t.app, home, account.email, account.password));

      const byCookie = await loginFrom(t.app, home, account.email, account.password, {
        cookies: { device_token: String(cookie?.value) },
      });
      expectStatus(byCookie, 200);
      expect(spec.problems('POST /v1/auth/login', byCookie)).toEqual([]);
      // Each sign-in renews the device token; the new one works too, here from another address.
      const renewed = byCookie.json().deviceToken as string;
      expect(renewed).not.toBe(cookie?.value);
      expectStatus(await loginFrom(t.app, nextIp(), account.email, account.password, { deviceToken: renewed }), 200);
    });

    it(`signs in without a device token from their own address after wrong passwords from ${ACCOUNT_FAILURES - 1} other addresses`, async () => {
      // The decided trade-off: below the account ceiling, other addresses' failures leave the owner's
      // address alone; at the ceiling, only devices that signed in before get in (test above).
      const account = await registerAccount(t.app);

      await sprayFromManyAddresses(t.app, account.email, ACCOUNT_FAILURES - 1);

      expectStatus(await loginFrom(t.app, nextIp(), account.email, account.password), 200);
    });

    it('counts failures, not successes: signing in many times uses up none of the budget', async () => {
      const account = await registerAccount(t.app);
      const ip = nextIp();

      for (let i = 1; i <= ACCOUNT_FAILURES + 2; i++)
        expectStatus(await loginFrom(t.app, ip, account.email, account.password), 200, i);

      // The address still has all its failures: the lockout starts after the last of them, not earlier.
      for (let i = 1; i <= CLIENT_FAILURES; i++)
        expectStatus(await loginFrom(t.app, ip, account.email, 'wrong'), 401, i);
      expectLockedOut(await loginFrom(t.app, ip, account.email, 'wrong'));
    });

    it(`locks a device after ${CLIENT_FAILURES} wrong passwords of its own, and those failures don't lock other clients`, async () => {
      const account = await registerAccount(t.app);
      const ip = nextIp();
      const deviceToken = await signInDevice(t.app, account, ip);

      for (let i = 1; i <= CLIENT_FAILURES; i++)
        expectStatus(await loginFrom(t.app, ip, account.email, 'wrong', { deviceToken }), 401, i);

      expectLockedOut(await loginFrom(t.app, ip, account.email, account.password, { deviceToken }));
      // The same address without the token is another client: its own counters are untouched.
      expectStatus(await loginFrom(t.app, ip, account.email, account.password), 200);
    });
  });

  describe('device tokens give no bypass', () => {
    it("ignores another account's device token: it counts as no token at all", async () => {
      const victim = await registerAccount(t.app);
      const attacker = await registerAccount(t.app);
      const attackersToken = await signInDevice(t.app, attacker, nextIp());

      for (let i = 1; i <= ACCOUNT_FAILURES; i++) {
        const res = await loginFrom(t.app, nextIp(), victim.email, `guess-${i}`, { deviceToken: attackersToken });
        expectStatus(res, 401, i);
      }

      expectLockedOut(await loginFrom(t.app, nextIp(), victim.email, 'guess', { deviceToken: attackersToken }));
      expectLockedOut(
        await loginFrom(t.app, nextIp(), victim.email, 'guess', { cookies: { device_token: attackersToken } }),
      );
    });

    it('ignores a forged device token (changed signature, changed expiry) as a cookie or in the body', async () => {
      const account = await registerAccount(t.app);
      const genuine = await signInDevice(t.app, account, nextIp());
      const [nonce, expires, mac] = genuine.split('.') as [string, string, string];
      const flipped = mac.startsWith('A') ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
      const forgedMac = `${nonce}.${expires}.${flipped}`;
      const laterExpiry = `${nonce}.${String(Number(expires) + 86_400)}.${mac}`;

      await sprayFromManyAddresses(t.app, account.email, ACCOUNT_FAILURES);

      for (const forged of [forgedMac, laterExpiry]) {
        expectLockedOut(await loginFrom(t.app, nextIp(), account.email, account.password, { deviceToken: forged }));
        expectLockedOut(
          await loginFrom(t.app, nextIp(), account.email, account.password, { cookies: { device_token: forged } }),
        );
      }
      expectStatus(await loginFrom(t.app, nextIp(), account.email, account.password, { deviceToken: genuine }), 200);
    });

    it('refuses a deviceToken that is not one as issued with a 400', async () => {
      const res = await loginFrom(t.app, nextIp(), uniqueEmail(), 'whatever', { deviceToken: 'not-a-device-token' });

      expect({ status: res.statusCode, code: res.json().code, errors: res.json().errors }).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'deviceToken', message: 'deviceToken must be a device token as issued' }],
      });
    });

    it('sets the device cookie httpOnly, Secure, SameSite=Strict, for /v1/auth only, for the token lifetime', async () => {
      const account = await registerAccount(t.app);

      const res = await loginFrom(t.app, nextIp(), account.email, account.password);

      expect(res.cookies).toEqual([
        {
          name: 'device_token',
          value: res.json().deviceToken,
          httpOnly: true,
          secure: true,
          sameSite: 'Strict',
          path: '/v1/auth',
          maxAge: t.config.loginLockout.deviceTokenTtlSeconds,
        },
      ]);
    });
  });

  describe('lockouts end', () => {
    it('lets the right password in again once the window has passed', async () => {
      // Long enough for the six failed sign-ins (argon2 each) to land in one window on a loaded machine.
      const windowMs = 3_000;
      const short = await createTestApp({
        env: { ...LOCKOUT, LOGIN_LOCKOUT_WINDOW: `${windowMs / 1000}s` },
        database: t.database,
      });
      try {
        const account = await registerAccount(short.app);
        await sprayFromManyAddresses(short.app, account.email, ACCOUNT_FAILURES);
        const lastFailure = Date.now();
        expectStatus(await loginFrom(short.app, nextIp(), account.email, account.password), 429);

        // A window (or a block) that began by the last failure has ended.
        await new Promise((resolve) => setTimeout(resolve, lastFailure + windowMs + 200 - Date.now()));

        expectStatus(await loginFrom(short.app, nextIp(), account.email, account.password), 200);
      } finally {
        await short.close();
      }
    });
  });

  describe('across instances', () => {
    const withRedis = process.env.TEST_REDIS_MODE === 'redis' ? it : it.skip;

    withRedis('shares the lockout between instances on one Redis', async () => {
      const other = await createTestApp({ env: LOCKOUT, database: t.database, cachePrefix: t.cachePrefix });
      try {
        expect(other.config.cache.redisUrl).toBeDefined();
        const account = await registerAccount(t.app);
        const home = nextIp();
        const deviceToken = await signInDevice(t.app, account, home);
        const apps = [t.app, other.app];

        for (let i = 1; i <= ACCOUNT_FAILURES; i++) {
          const app = apps[i % 2] as NestFastifyApplication;
          expectStatus(await loginFrom(app, nextIp(), account.email, `wrong-${i}`), 401, i);
        }

        expectLockedOut(await loginFrom(t.app, home, account.email, account.password));
        expectLockedOut(await loginFrom(other.app, home, account.email, account.password));
        // A device token issued by one instance is honoured by the other.
        expectStatus(await loginFrom(other.app, home, account.email, account.password, { deviceToken }), 200);
      } finally {
        await other.close();
      }
    });

    withRedis('keeps locking accounts in process while Redis is down', async () => {
      const proxy = new FlakyProxy(new URL(TEST_REDIS_URL));
      await proxy.start();
      const flaky = await createTestApp({
        env: { ...LOCKOUT, REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
        database: t.database,
      });
      try {
        const account = await registerAccount(flaky.app);
        await proxy.stop();
        await eventually(() => !flaky.app.get(RedisConnection).isReady);

        await sprayFromManyAddresses(flaky.app, account.email, ACCOUNT_FAILURES);

        expectLockedOut(await loginFrom(flaky.app, nextIp(), account.email, account.password));
      } finally {
        await flaky.close();
        await proxy.stop();
      }
    });
  });
});
