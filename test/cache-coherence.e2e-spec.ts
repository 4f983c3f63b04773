import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TIER_LEASE_MS } from '@app/redis';
import { strongPassword, uniqueEmail } from './utils/auth.js';
import { call, me, nameOn, planOn, propagation, register, signIn, warm, type Account } from './utils/http-accounts.js';
import { freePort, startServer, type RunningServer } from './utils/built-app.js';
import { FlakyProxy, eventually } from './utils/flaky-proxy.js';
import { PrivateRedis } from './utils/private-redis.js';
import { createTestDatabase, type TestDatabase } from './utils/test-database.js';

/** The bound the first tier promises: a change made through one instance is seen on every other within it. */
const COHERENT_WITHIN_MS = 100;
/** Longest wait for an instance to reconnect to Redis. */
const RECONNECT_MS = 15_000;

/**
 * Two API processes (`a`, `b`, the built server) on one database and one Redis (a private
 * redis-server this file may restart), each with its first tier: the Redis replies it keeps in
 * process, kept coherent by Redis's client tracking. `b` reaches Redis through a proxy that can cut
 * or stall its connection. A change made through one instance is seen by the other within
 * {@link COHERENT_WITHIN_MS} while both serve a steady load, and once the connection carrying the
 * invalidations drops or goes silent, no instance answers from what it held.
 */
describe('the two-tier cache across instances (e2e, two processes)', () => {
  let redis: PrivateRedis;
  let proxy: FlakyProxy;
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let admin: Account;
  let load: { stop(): Promise<number> };
  const adminEmail = uniqueEmail('admin');
  const adminPassword = strongPassword();

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    proxy = new FlakyProxy(new URL(redis.url));
    await proxy.start();
    database = await createTestDatabase();
    const env = {
      ...database.env,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      CACHE_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      LOGIN_LOCKOUT_CLIENT_FAILURES: '100000',
      LOGIN_LOCKOUT_ACCOUNT_FAILURES: '100000',
    };
    // `a` seeds the plans and an administrator; `b` starts on what it wrote.
    a = await startServer(
      {
        ...env,
        REDIS_URL: redis.url,
        DATABASE_SEED_ON_BOOT: 'true',
        SEED_ADMIN_EMAIL: adminEmail,
        SEED_ADMIN_PASSWORD: adminPassword,
      },
      await freePort(),
      { readyWhen: 'healthy' },
    );
    b = await startServer({ ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, await freePort(), {
      readyWhen: 'healthy',
    });
    admin = await signIn(a, adminEmail, adminPassword);
    load = startLoad([a, b], await register(a));
  }, 60_000);

  afterAll(async () => {
    const served = await load?.stop();
    for (const server of [a, b]) server?.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await proxy?.stop();
    await redis?.stop();
    await database?.drop();
    // The load ran throughout, and none of it failed (stop() rejects on a failure).
    expect(served).toBeGreaterThan(100);
  });

  const cacheStatus = async (server: RunningServer) =>
    ((await (await fetch(`${server.baseUrl}/health/ready`)).json()) as { details?: { cache?: { status?: string } } })
      .details?.cache?.status;

  it('refuses on one instance, within 100 ms, an access token logged out on the other', async () => {
    const user = await register(a);
    await warm(async () => (await me(b, user)).status, 200);

    expect((await call(a, 'POST', '/v1/auth/logout', user)).status).toBe(204);
    const ms = await propagation(async () => (await me(b, user)).status === 401);

    expect(ms).toBeLessThanOrEqual(COHERENT_WITHIN_MS);
  });

  it('answers on one instance, within 100 ms, the profile changed on the other', async () => {
    const user = await register(a, 'Before');
    await warm(() => nameOn(b, user), 'Before');

    expect((await call(a, 'PATCH', '/v1/users/me', user, { name: 'After' })).status).toBe(200);
    const ms = await propagation(async () => (await nameOn(b, user)) === 'After');

    expect(ms).toBeLessThanOrEqual(COHERENT_WITHIN_MS);
  });

  it.each([
    ['a role change', { role: 'ADMIN' }],
    ['a disable', { status: 'DISABLED' }],
  ])('refuses on one instance, within 100 ms, the tokens that %s on the other revoked', async (_change, change) => {
    const user = await register(a);
    await warm(async () => (await me(b, user)).status, 200);

    expect((await call(a, 'PATCH', `/v1/users/${user.id}`, admin, change)).status).toBe(200);
    const ms = await propagation(async () => (await me(b, user)).status === 401);

    expect(ms).toBeLessThanOrEqual(COHERENT_WITHIN_MS);
  });

  it('answers on one instance, within 100 ms, the entitlements of a plan changed on the other', async () => {
    const user = await register(a);
    const checkout = await call(a, 'POST', '/v1/billing/checkout', user, { planCode: 'pro' });
    expect(checkout.status).toBe(200);
    const link = new URL(((await checkout.json()) as { url: string }).url).pathname;
    expect((await call(a, 'POST', link)).status).toBe(200);
    // Cached by a, read by b: b holds what Redis holds, not only what it wrote itself.
    expect(await planOn(a, user)).toBe('pro');
    await warm(() => planOn(b, user), 'pro');

    expect((await call(a, 'POST', '/v1/billing/subscription/change', user, { planCode: 'business' })).status).toBe(200);
    const ms = await propagation(async () => (await planOn(b, user)) === 'business');

    expect(ms).toBeLessThanOrEqual(COHERENT_WITHIN_MS);
  });

  it('answers nothing it held once its connection is cut: a change made meanwhile is seen at once', async () => {
    const user = await register(a, 'Before');
    await warm(() => nameOn(b, user), 'Before');

    // b's connection is cut (the proxy closes it) and b reconnects a moment later.
    await proxy.stop();
    expect((await call(a, 'PATCH', '/v1/users/me', user, { name: 'After' })).status).toBe(200);
    const whileCut = await nameOn(b, user);
    await proxy.start();
    const names = new Set([whileCut]);
    await eventually(async () => {
      names.add(await nameOn(b, user));
      return (await cacheStatus(b)) === 'up';
    }, RECONNECT_MS);
    await warm(() => nameOn(b, user), 'After');

    expect([...names]).toEqual(['After']);
  });

  it('stops answering from what it holds once its connection goes silent (a partition, a stalled server)', async () => {
    const user = await register(a, 'Before');
    await warm(() => nameOn(b, user), 'Before');

    proxy.stall();
    // The lease of b's first tier lapses: no answer of b comes from it after this.
    await new Promise((resolve) => setTimeout(resolve, LOCAL_TIER_LEASE_MS + 50));
    expect((await call(a, 'PATCH', '/v1/users/me', user, { name: 'After' })).status).toBe(200);
    // Redis does not answer b: it reads the database.
    const answers = await Promise.all([1, 2, 3].map(() => nameOn(b, user)));
    proxy.resume();

    expect(answers).toEqual(['After', 'After', 'After']);
    await warm(() => nameOn(b, user), 'After');
  });

  it('serves no stale or revoked entry while Redis restarts, nor once it is back empty', async () => {
    const revoked = await register(a);
    const renamed = await register(a, 'Before');
    for (const server of [a, b]) {
      await warm(async () => (await me(server, revoked)).status, 200);
      await warm(() => nameOn(server, renamed), 'Before');
    }

    await redis.stop();
    // Changed while Redis is down: neither the invalidations nor the revocation marker reach it.
    expect((await call(a, 'POST', '/v1/auth/logout', revoked)).status).toBe(204);
    expect((await call(a, 'PATCH', '/v1/users/me', renamed, { name: 'After' })).status).toBe(200);
    for (const server of [a, b]) {
      expect((await me(server, revoked)).status).toBe(401);
      expect(await nameOn(server, renamed)).toBe('After');
    }

    await redis.start();
    for (const server of [a, b]) {
      await eventually(async () => (await cacheStatus(server)) === 'up', RECONNECT_MS);
      await warm(async () => (await me(server, revoked)).status, 401);
      await warm(() => nameOn(server, renamed), 'After');
    }
  }, 60_000);
});

/**
 * A steady load on every instance until `stop()`: two concurrent clients each, reading an account
 * that no test changes, each pausing 10 ms between requests (about two hundred requests per second
 * per instance: a busy instance, not one starved of CPU). Bounded in count and time; `stop()` resolves how many requests were
 * answered, and rejects if one was not a 200 (with Redis down the instances answer from the database).
 */
function startLoad(servers: RunningServer[], account: Account): { stop(): Promise<number> } {
  const MAX_REQUESTS = 100_000;
  const MAX_MS = 120_000;
  const started = Date.now();
  let stopped = false;
  let served = 0;
  const client = async (server: RunningServer) => {
    while (!stopped && served < MAX_REQUESTS && Date.now() - started < MAX_MS) {
      const res = await fetch(`${server.baseUrl}/v1/users/me`, { headers: account.auth });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`a load request was answered ${res.status}`);
      served++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const clients = Promise.all(servers.flatMap((server) => [1, 2].map(() => client(server))));
  return {
    stop: async () => {
      stopped = true;
      await clients;
      return served;
    },
  };
}
