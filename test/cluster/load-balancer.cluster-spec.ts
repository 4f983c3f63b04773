import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongPassword, uniqueEmail } from '../utils/auth.js';
import { freePort, startServer, STOPPED_BY_SIGTERM, type RunningServer } from '../utils/built-app.js';
import {
  call,
  me,
  nameOn,
  planOn,
  propagation,
  register,
  signIn,
  warm,
  type Account,
  type Endpoint,
} from '../utils/http-accounts.js';
import { httpCall, startPacedLoad, type HttpCallOptions } from '../utils/paced-load.js';
import { PrivateNginx } from '../utils/private-nginx.js';
import { TEST_REDIS_URL } from '../setup/test-env.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

/** The bound the cache tiers promise: a change made through one instance is seen on every other within it. */
const COHERENT_WITHIN_MS = 100;
/** The general per-client limit the instances share, and the strict one of the credential routes. */
const GENERAL_LIMIT = 1_500;
const STRICT_LIMIT = 30;
/** How often each instance adds its local count of the general limit to Redis (the default). */
const SYNC_MS = 500;
/** Longer than the upstream keepalive_timeout of deploy/nginx/api.conf (2 s), as that file says. */
const DRAIN_MS = 3_000;
/** The background load: a steady pace from four client addresses, each well under the general limit. */
const LOAD_PER_SECOND = 60;
const LOAD_SOURCES = ['127.0.10.1', '127.0.10.2', '127.0.10.3', '127.0.10.4'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One instance of the API: its port stays the same across restarts (it is what nginx lists). */
interface Instance {
  port: number;
  server: RunningServer;
}

/**
 * Three API processes (the built server) on one PostgreSQL and one Redis, behind the nginx
 * configuration in deploy/nginx/api.conf (Debian's nginx-light), each started with
 * TRUST_PROXY=1 as that file says. Under a steady load through nginx: changes are coherent across
 * the instances, the rate limits are shared within their documented bounds, a SIGKILLed instance
 * costs no GET, and a rolling restart (SIGTERM, drain, start again) costs no request at all.
 */
describe('three instances behind nginx (cluster)', () => {
  let database: TestDatabase;
  let nginx: PrivateNginx;
  const instances: Instance[] = [];
  let env: Record<string, string>;
  let admin: Account;
  let loadAccount: Account;
  let load: ReturnType<typeof startPacedLoad>;
  const adminEmail = uniqueEmail('admin');
  const adminPassword = strongPassword();
  const lb: Endpoint = { baseUrl: '' };

  const start = async (port: number, extra: Record<string, string> = {}) =>
    startServer({ ...env, ...extra }, port, { readyWhen: 'healthy' });

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      ...database.env,
      REDIS_URL: TEST_REDIS_URL,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      CACHE_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '1',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      RATE_LIMIT_PER_MINUTE: String(GENERAL_LIMIT),
      RATE_LIMIT_AUTH_PER_MINUTE: String(STRICT_LIMIT),
      RATE_LIMIT_SYNC_MS: String(SYNC_MS),
      LOGIN_LOCKOUT_CLIENT_FAILURES: '100000',
      LOGIN_LOCKOUT_ACCOUNT_FAILURES: '100000',
    };
    const ports = [await freePort(), await freePort(), await freePort()];
    // The first seeds the plans and an administrator; the others start on what it wrote.
    const [first, ...others] = ports as [number, number, number];
    instances.push({
      port: first,
      server: await start(first, {
        DATABASE_SEED_ON_BOOT: 'true',
        SEED_ADMIN_EMAIL: adminEmail,
        SEED_ADMIN_PASSWORD: adminPassword,
      }),
    });
    // Each joins `instances` as it is up, so afterAll stops it even if the other fails to start.
    await Promise.all(others.map(async (port) => instances.push({ port, server: await start(port) })));
    nginx = await PrivateNginx.start(ports);
    lb.baseUrl = nginx.baseUrl;
    admin = await signIn(lb, adminEmail, adminPassword);
    loadAccount = await register(lb, 'Load');
    load = startPacedLoad({
      baseUrl: nginx.baseUrl,
      requestsPerSecond: LOAD_PER_SECOND,
      sourceAddresses: LOAD_SOURCES,
      requests: [
        { method: 'GET', path: '/v1/users/me', headers: loadAccount.auth },
        { method: 'GET', path: '/v1/billing/plans' },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    const report = await load?.stop();
    for (const { server } of instances) server.child.kill('SIGTERM');
    await Promise.all(instances.map(({ server }) => server.exited));
    await nginx?.stop();
    await database?.drop();
    // The load ran throughout, and none of it failed.
    expect(report?.failures).toEqual([]);
    expect(report?.skipped).toBe(0);
    expect(report?.answered).toBeGreaterThan(LOAD_PER_SECOND * 10);
  }, 60_000);

  /** How long until every instance, asked directly, answers what `seen` waits for; the slowest counts. */
  const everywhere = async (seen: (at: Endpoint) => Promise<boolean>) =>
    Math.max(...(await Promise.all(instances.map(({ server }) => propagation(() => seen(server))))));

  describe('coherence: a change made through nginx is seen by every instance within 100 ms', () => {
    it('a logout', async () => {
      const user = await register(lb);
      for (const { server } of instances) await warm(async () => (await me(server, user)).status, 200);

      expect((await call(lb, 'POST', '/v1/auth/logout', user)).status).toBe(204);

      expect(await everywhere(async (at) => (await me(at, user)).status === 401)).toBeLessThanOrEqual(
        COHERENT_WITHIN_MS,
      );
    });

    it('a profile change', async () => {
      const user = await register(lb, 'Before');
      for (const { server } of instances) await warm(() => nameOn(server, user), 'Before');

      expect((await call(lb, 'PATCH', '/v1/users/me', user, { name: 'After' })).status).toBe(200);

      expect(await everywhere(async (at) => (await nameOn(at, user)) === 'After')).toBeLessThanOrEqual(
        COHERENT_WITHIN_MS,
      );
    });

    it.each([
      ['a role change', { role: 'ADMIN' }],
      ['a disable', { status: 'DISABLED' }],
    ])('%s (its tokens are refused)', async (_change, change) => {
      const user = await register(lb);
      for (const { server } of instances) await warm(async () => (await me(server, user)).status, 200);

      expect((await call(lb, 'PATCH', `/v1/users/${user.id}`, admin, change)).status).toBe(200);

      expect(await everywhere(async (at) => (await me(at, user)).status === 401)).toBeLessThanOrEqual(
        COHERENT_WITHIN_MS,
      );
    });

    it('a plan change (the entitlements)', async () => {
      const user = await register(lb);
      const checkout = await call(lb, 'POST', '/v1/billing/checkout', user, { planCode: 'pro' });
      expect(checkout.status).toBe(200);
      expect((await call(lb, 'POST', new URL(((await checkout.json()) as { url: string }).url).pathname)).status).toBe(
        200,
      );
      for (const { server } of instances) await warm(() => planOn(server, user), 'pro');

      expect((await call(lb, 'POST', '/v1/billing/subscription/change', user, { planCode: 'business' })).status).toBe(
        200,
      );

      expect(await everywhere(async (at) => (await planOn(at, user)) === 'business')).toBeLessThanOrEqual(
        COHERENT_WITHIN_MS,
      );
    });
  });

  describe('rate limits shared by the instances', () => {
    it('admits exactly the strict limit of a credential route across the three', async () => {
      // A malformed sign-in is still counted: the limit runs before validation.
      const statuses = await sendSequentially(nginx, '127.0.20.1', STRICT_LIMIT + 15, () => ({
        method: 'POST',
        path: '/v1/auth/login',
        body: { email: 'nobody@example.com' },
      }));

      expect(statuses.filter((status) => status !== 429)).toHaveLength(STRICT_LIMIT);
      expect(statuses.slice(0, STRICT_LIMIT).every((status) => status === 400)).toBe(true);
      expect(statuses.slice(STRICT_LIMIT).every((status) => status === 429)).toBe(true);
    });

    it('admits the general limit, and beyond it at most two sync intervals of requests', async () => {
      const sent = GENERAL_LIMIT + 500;
      const startedAt = performance.now();
      const statuses = await sendSequentially(nginx, '127.0.20.2', sent, () => ({
        method: 'GET',
        path: '/v1/billing/plans',
      }));
      const perMs = sent / (performance.now() - startedAt);

      const admitted = statuses.filter((status) => status === 200).length;
      expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
      expect(admitted).toBeGreaterThanOrEqual(GENERAL_LIMIT);
      // README, "Rate limits": beyond the limit, the instances together admit at most what they
      // admitted of this client's requests in two intervals (a count reaches Redis at its
      // instance's next sync, the other instances at theirs).
      expect(admitted - GENERAL_LIMIT).toBeLessThanOrEqual(Math.ceil(perMs * 2 * SYNC_MS));
    });
  });

  describe('failures and restarts under load', () => {
    it('answers every GET when an instance is killed (SIGKILL): nginx retries them on the others', async () => {
      const before = load.report().failures.length;
      const victim = instances[1] as Instance;
      await sleep(500);

      victim.server.child.kill('SIGKILL');
      await victim.server.exited;
      await sleep(2_000);
      victim.server = await start(victim.port);
      await sleep(1_000);

      expect(load.report().failures.slice(before)).toEqual([]);
    });

    it('loses no request and no write in a rolling restart (SIGTERM, drain, start again, one at a time)', async () => {
      const before = load.report().failures.length;
      const writer = startWriter(nginx, '127.0.30.1', loadAccount);
      let written: Awaited<ReturnType<typeof writer.stop>>;
      try {
        for (const instance of instances) {
          instance.server.child.kill('SIGTERM');
          await expect(instance.server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
          instance.server = await start(instance.port);
          expect(instance.server.stderr()).toBe('');
        }
        await sleep(500);
      } finally {
        written = await writer.stop();
      }

      expect(load.report().failures.slice(before)).toEqual([]);
      expect(written.failures).toEqual([]);
      expect(written.acknowledged).toBeGreaterThan(10);
      // Nothing acknowledged was lost: the last name written is the one every instance answers.
      for (const { server } of instances) expect(await nameOn(server, loadAccount)).toBe(written.lastName);
    }, 90_000);
  });
});

/** One request after the other from `localAddress` through nginx; resolves their statuses in order. */
async function sendSequentially(
  nginx: PrivateNginx,
  localAddress: string,
  count: number,
  next: () => HttpCallOptions,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, localAddress });
  const statuses: number[] = [];
  try {
    for (let i = 0; i < count; i++) statuses.push((await httpCall(new URL(nginx.baseUrl), agent, next())).status);
  } finally {
    agent.destroy();
  }
  return statuses;
}

/**
 * Renames `account` again and again through nginx, each write sent once the previous one is
 * answered (so their order is known), ten per second, until `stop()`.
 */
function startWriter(nginx: PrivateNginx, localAddress: string, account: Account) {
  const agent = new http.Agent({ keepAlive: true, localAddress });
  const failures: string[] = [];
  let acknowledged = 0;
  let lastName = '';
  let stopped = false;
  const running = (async () => {
    for (let i = 0; !stopped && i < 2_000; i++) {
      const name = `Write ${i}`;
      try {
        const res = await httpCall(new URL(nginx.baseUrl), agent, {
          method: 'PATCH',
          path: '/v1/users/me',
          headers: account.auth,
          body: { name },
        });
        if (res.status === 200) {
          acknowledged++;
          lastName = name;
        } else failures.push(`${name}: ${res.status} ${res.body.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${name}: ${String(error)}`);
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      agent.destroy();
      return { failures, acknowledged, lastName };
    },
  };
}

describe('nginx with no instance up (cluster)', () => {
  let nginx: PrivateNginx;

  beforeAll(async () => {
    // Ports nothing listens on: every attempt is refused.
    nginx = await PrivateNginx.start([await freePort(), await freePort()]);
  });

  afterAll(async () => {
    await nginx?.stop();
  });

  it('answers 503 problem+json with its request id, not an HTML 502', async () => {
    const res = await fetch(`${nginx.baseUrl}/v1/users/me`);

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const requestId = res.headers.get('x-request-id');
    expect(await res.json()).toEqual({
      type: 'urn:problem-type:service-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'No API instance is available; retry shortly.',
      instance: '/v1/users/me',
      code: 'SERVICE_UNAVAILABLE',
      requestId,
    });
  });

  it('writes no path into the problem that would need escaping', async () => {
    const res = await fetch(`${nginx.baseUrl}/v1/users/%22%7D`);

    expect(res.status).toBe(503);
    expect(((await res.json()) as { instance: string }).instance).toBe('/');
  });
});
