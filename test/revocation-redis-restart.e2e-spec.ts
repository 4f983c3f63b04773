import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@app/database';
import { registerAndLogin, sessionIdOf, type TestAccount } from './utils/auth.js';
import { FlakyProxy, eventually } from './utils/flaky-proxy.js';
import { PrivateRedis } from './utils/private-redis.js';
import { expectProblem, INVALID_ACCESS_TOKEN } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { createTestDatabase, type TestDatabase } from './utils/test-database.js';

/** Longest wait for an instance to reconnect, or for a rebuild or a retry to land. */
const SETTLE_MS = 15_000;
/** How many times each instance is asked about each token after each fault. */
const PROBES = 3;

/**
 * Revoked sessions against a Redis that this file runs itself (never the suite's): restarted empty,
 * flushed, down, unreachable from one instance only, refusing writes. Two instances (`a`, `b`)
 * share the database and the key prefix, as two replicas behind a load balancer do.
 */
describe('revocation when Redis restarts, is flushed or is down (e2e)', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  /** A session no test revokes, whose requests drive the instances. */
  let probe: TestAccount;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    a = await createTestApp({ env: { REDIS_URL: redis.url } });
    b = await createTestApp({ env: { REDIS_URL: redis.url }, database: a.database, cachePrefix: a.cachePrefix });
    key = `${a.cachePrefix}:auth:revoked-sessions`;
    probe = await registerAndLogin(a.app);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  const me = (t: TestApp, account: TestAccount) =>
    t.app.inject({ method: 'GET', url: '/v1/users/me', headers: account.auth });
  const logout = async (t: TestApp, account: TestAccount) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: account.auth });
    expect(res.statusCode).toBe(204);
  };
  /** Whether the markers are vouched complete, read from Redis directly. */
  const complete = async () => (await redis.command('ZSCORE', key, '~complete').catch(() => null)) !== null;
  /**
   * Until the markers are vouched complete again, with traffic on both instances: a check that
   * finds them incomplete is what starts a rebuild.
   */
  const vouched = (probe: TestAccount) =>
    eventually(async () => {
      await Promise.all([me(a, probe), me(b, probe)]);
      return complete();
    }, SETTLE_MS);
  const marked = async (account: TestAccount) =>
    (await redis.command('ZSCORE', key, sessionIdOf(account.accessToken))) !== null;
  const cacheUp = async (t: TestApp) => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    return (res.json() as { details: { cache: { status: string } } }).details.cache.status === 'up';
  };
  const reconnected = (...apps: TestApp[]) =>
    eventually(async () => (await Promise.all(apps.map(cacheUp))).every(Boolean), SETTLE_MS);
  const refused = async (t: TestApp, account: TestAccount) => {
    const res = await me(t, account);
    return res.statusCode === 401;
  };

  /** Every probe on every instance: the revoked session refused (exact body), the other one served. */
  async function expectRevokedEverywhere(revoked: TestAccount, kept: TestAccount, apps = [a, b]): Promise<void> {
    for (const t of apps) {
      for (let probe = 0; probe < PROBES; probe++) {
        expectProblem(await me(t, revoked), INVALID_ACCESS_TOKEN, '/v1/users/me');
        const ok = await me(t, kept);
        expect(ok.statusCode).toBe(200);
        expect(ok.json()).toMatchObject({ id: kept.id });
      }
    }
  }

  /** Two signed-in accounts; the first one's session revoked through `by`. */
  async function revokeOne(by: TestApp): Promise<{ revoked: TestAccount; kept: TestAccount }> {
    const revoked = await registerAndLogin(a.app);
    const kept = await registerAndLogin(b.app);
    await logout(by, revoked);
    return { revoked, kept };
  }

  it('rebuilds the markers from the database at boot and vouches for them', async () => {
    await eventually(complete, SETTLE_MS); // no request needed

    const ttl = Number(await redis.command('PTTL', key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(a.config.auth.accessTokenTtlSeconds * 1000);
  });

  it('refuses a session revoked before Redis restarted empty, on both instances; other sessions keep working', async () => {
    await vouched(probe);
    const { revoked, kept } = await revokeOne(a);
    await expectRevokedEverywhere(revoked, kept);

    await redis.restart();
    await reconnected(a, b);

    await expectRevokedEverywhere(revoked, kept);
  });

  it('refuses a session revoked while Redis was down, during the outage and once Redis is back', async () => {
    await vouched(probe);
    const revoked = await registerAndLogin(a.app);
    const kept = await registerAndLogin(b.app);

    await redis.stop();
    await eventually(async () => !(await cacheUp(a)) && !(await cacheUp(b)), SETTLE_MS);
    await logout(a, revoked);
    await expectRevokedEverywhere(revoked, kept);

    await redis.start();
    await reconnected(a, b);
    await expectRevokedEverywhere(revoked, kept);
  });

  it('refuses a revoked session after FLUSHALL', async () => {
    await vouched(probe);
    const { revoked, kept } = await revokeOne(b);

    await redis.command('FLUSHALL');

    expect(await complete()).toBe(false);
    await expectRevokedEverywhere(revoked, kept);
  });

  it('trusts misses again once the markers are rebuilt: revoked sessions copied from the database, no query on sessions', async () => {
    const { revoked, kept } = await revokeOne(a);
    await redis.restart();
    await reconnected(a, b);

    // Until a rebuild (started by the reconnection, or by a check) vouches for them, checks go to the database.
    await expectRevokedEverywhere(revoked, kept);
    await vouched(probe);
    expect(await marked(revoked)).toBe(true);
    expect(await marked(kept)).toBe(false);

    // A renamed table makes any query on it fail, so a check that still answers read only Redis.
    const prisma = a.app.get(PrismaService);
    await prisma.$executeRawUnsafe('ALTER TABLE sessions RENAME TO sessions_out_of_reach');
    try {
      await expectRevokedEverywhere(revoked, kept);
    } finally {
      await prisma.$executeRawUnsafe('ALTER TABLE sessions_out_of_reach RENAME TO sessions');
    }
  });

  it('refuses a session whose marker Redis would not store (maxmemory reached): every instance asks the database until it is stored', async () => {
    await vouched(probe);
    const revoked = await registerAndLogin(a.app);
    const kept = await registerAndLogin(b.app);

    await redis.command('CONFIG', 'SET', 'maxmemory', '1');
    try {
      await logout(a, revoked);
      expect(await marked(revoked)).toBe(false);
      expect(await complete()).toBe(false);
      await expectRevokedEverywhere(revoked, kept);
    } finally {
      await redis.command('CONFIG', 'SET', 'maxmemory', '0');
    }

    // The instance writes the marker again, and a rebuild vouches for the set again.
    await eventually(() => marked(revoked), SETTLE_MS);
    await vouched(probe);
    await expectRevokedEverywhere(revoked, kept);
  });

  describe('an instance that cannot reach Redis while the others can', () => {
    let proxy: FlakyProxy;
    let c: TestApp;

    beforeAll(async () => {
      proxy = new FlakyProxy(new URL(redis.url));
      await proxy.start();
      c = await createTestApp({
        env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
        database: a.database,
        cachePrefix: a.cachePrefix,
      });
    });

    afterAll(async () => {
      await c?.close();
      await proxy?.stop();
    });

    it('refuses the session it revoked meanwhile at once, and writes the marker for the others when it reconnects', async () => {
      await vouched(probe);
      await reconnected(c);
      const revoked = await registerAndLogin(c.app);
      const kept = await registerAndLogin(c.app);

      await proxy.stop();
      await eventually(async () => !(await cacheUp(c)), SETTLE_MS);
      await logout(c, revoked);
      await expectRevokedEverywhere(revoked, kept, [c]);

      await proxy.start();
      await reconnected(c);
      await eventually(() => marked(revoked), SETTLE_MS);
      await eventually(() => refused(b, revoked), SETTLE_MS);
      await expectRevokedEverywhere(revoked, kept, [a, b, c]);
    });
  });
});

describe('revocation without Redis (one instance, markers in its memory) (e2e)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  /** An instance that uses the memory store, whatever store the rest of the suite runs on. */
  async function startWithoutRedis(): Promise<TestApp> {
    const mode = process.env.TEST_REDIS_MODE;
    process.env.TEST_REDIS_MODE = 'memory'; // read by createTestApp only, to add REDIS_URL
    try {
      return await createTestApp({ database });
    } finally {
      process.env.TEST_REDIS_MODE = mode;
    }
  }

  it('refuses a session revoked before the process restarted: the markers are rebuilt from the database at boot', async () => {
    const first = await startWithoutRedis();
    let revoked: TestAccount;
    let kept: TestAccount;
    try {
      expect(first.config.cache.redisUrl).toBeUndefined();
      revoked = await registerAndLogin(first.app);
      kept = await registerAndLogin(first.app);
      const res = await first.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: revoked.auth });
      expect(res.statusCode).toBe(204);
    } finally {
      await first.close();
    }

    const second = await startWithoutRedis();
    try {
      for (let probe = 0; probe < PROBES; probe++) {
        const refused = await second.app.inject({ method: 'GET', url: '/v1/users/me', headers: revoked.auth });
        expectProblem(refused, INVALID_ACCESS_TOKEN, '/v1/users/me');
        const ok = await second.app.inject({ method: 'GET', url: '/v1/users/me', headers: kept.auth });
        expect(ok.statusCode).toBe(200);
      }
    } finally {
      await second.close();
    }
  });
});
