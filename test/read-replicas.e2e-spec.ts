import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PrismaService, REPLICA_READS_APPLICATION_NAME } from '@app/database';
import { login, registerAndLogin, sessionIdOf, type TestAccount } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { silenceLogger } from './utils/builders.js';
import { FlakyProxy } from './utils/flaky-proxy.js';
import { eventually, privateDatabase } from './utils/private-database-app.js';
import { PrivatePostgres } from './utils/private-postgres.js';
import { PrivateRedis } from './utils/private-redis.js';
import { expectProblem, INVALID_ACCESS_TOKEN } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED } from './utils/token-app.js';

/** The lag bound of the app under test, and how often it checks its replica. */
const MAX_LAG_MS = 1_500;
const CHECK_INTERVAL_MS = 250;
/** Longest wait for a check to notice a change (a stop, a pause, a recovery), on a loaded machine. */
const NOTICE_MS = 15_000;

/**
 * Read replicas against a real streaming replica: a private primary cluster, a hot standby made
 * from it with `pg_basebackup -R`, a private Redis (flushed by one test), and the app on all three
 * through HTTP. Which server answered a read is told by data: a row changed on the primary while
 * the replica's replay is paused (`pg_wal_replay_pause()`) reads the old way on the replica only.
 * `REPLICA_TIMINGS=1` prints what the lag, stop and hang cases measured.
 */
describe('read replicas (e2e, a private primary and its streaming replica)', () => {
  let primary: PrivatePostgres;
  let replica: PrivatePostgres;
  let redis: PrivateRedis;
  let t: TestApp;
  let prisma: PrismaService;
  let account: TestAccount;
  let logs: ReturnType<typeof silenceLogger>;

  beforeAll(async () => {
    logs = silenceLogger();
    primary = await PrivatePostgres.create();
    const url = await primary.createDatabase('app');
    replica = await primary.createReplica();
    redis = await PrivateRedis.start();
    t = await createTestApp({
      database: privateDatabase(url, {
        DATABASE_REPLICA_URLS: replica.url('app'),
        DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
        DATABASE_REPLICA_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
        REDIS_URL: redis.url,
        // Every revocation check reads Redis itself, so one that finds the markers gone asks the database.
        CACHE_LOCAL_MAX_ENTRIES: '0',
      }),
    });
    prisma = t.app.get(PrismaService);
    await seedTestPlans(t);
    account = await registerAndLogin(t.app);
    await replica.caughtUp();
  }, 90_000);

  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await redis?.stop();
      await replica?.destroy();
      await primary?.destroy();
    }
  }, 60_000);

  /** What the app logged about its replica, in order. */
  const replicaLogs = () =>
    [logs.log, logs.warn, logs.error]
      .flatMap((spy) =>
        spy.mock.calls.map(([message], i) => ({ message, order: spy.mock.invocationCallOrder[i] ?? 0 })),
      )
      .sort((a, b) => a.order - b.order)
      .map(({ message }) => String(message))
      .filter((message) => message.startsWith('Replica '));
  const replicaState = () => prisma.replicaStatus()[0];
  const inUse = () => replicaState()?.usable === true;

  const get = (url: string, who: TestAccount) => t.app.inject({ method: 'GET', url, headers: who.auth });
  const post = (url: string, who?: TestAccount, payload?: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url, headers: who?.auth ?? {}, ...(payload ? { payload } : {}) });
  const refresh = (refreshToken: string) => post('/v1/auth/refresh', undefined, { refreshToken });

  /** The device of the caller's session, as GET /v1/auth/sessions answers it. */
  async function deviceShown(who: TestAccount): Promise<string | null> {
    const res = await get('/v1/auth/sessions', who);
    expect(res.statusCode).toBe(200);
    const current = (res.json() as Array<{ current: boolean; device: string | null }>).find((s) => s.current);
    return current?.device ?? null;
  }

  /** Changes the caller's session on the primary only, behind the app's back: a replica shows it once replayed. */
  async function setDeviceOnPrimary(who: TestAccount, device: string): Promise<void> {
    await primary.withClient(
      (client) =>
        client.query('UPDATE sessions SET "userAgent" = $1 WHERE id = $2', [device, sessionIdOf(who.accessToken)]),
      'app',
    );
  }

  /** Runs `fn` with the replica in use and its replay paused (everything written before replayed first). */
  async function whileReplicaLags<T>(fn: () => Promise<T>): Promise<T> {
    await replica.caughtUp();
    await eventually(async () => inUse(), NOTICE_MS);
    await replica.pauseReplay();
    try {
      return await fn();
    } finally {
      await replica.resumeReplay();
      await replica.caughtUp();
    }
  }

  it('uses the replica once its first check passes, and says so once', async () => {
    expect(prisma.replicaStatus()).toEqual([{ name: `127.0.0.1:${replica.port}/app`, state: 'in-use', usable: true }]);
    expect(replicaLogs()).toEqual([`Replica 127.0.0.1:${replica.port}/app: in use`]);
  });

  it('keeps the replica of an idle primary in use, though its last replayed commit grows older than the bound', async () => {
    const position = () =>
      primary.withClient(
        async (client) => (await client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn,
        'app',
      );
    await replica.caughtUp();
    // Idle: no request, and (checked) no WAL written by anyone meanwhile; tried again if something wrote.
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await position();
      let alwaysInUse = true;
      for (let waited = 0; waited < 3 * MAX_LAG_MS; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        alwaysInUse &&= inUse();
      }
      if ((await position()) !== before) continue;
      const replayedCommitAgeMs = await replica.withClient(
        async (client) =>
          Number(
            (await client.query('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000 AS ms'))
              .rows[0].ms,
          ),
        'app',
      );

      expect(alwaysInUse).toBe(true);
      // What a check by replay timestamps would have taken for lag.
      expect(replayedCommitAgeMs).toBeGreaterThan(3 * MAX_LAG_MS);
      return;
    }
    throw new Error('the primary never stayed idle for the test');
  });

  it('answers reads from the replica: a change the replica has not replayed does not show, then shows', async () => {
    await setDeviceOnPrimary(account, 'device-before');
    await whileReplicaLags(async () => {
      await setDeviceOnPrimary(account, 'device-after');

      expect(await deviceShown(account)).toBe('device-before');
    });
    expect(await deviceShown(account)).toBe('device-after');
    // The replica's own view: a connection of the reads' pool ran the sessions query there.
    const ran = await replica.withClient(async (client) => {
      const rows = await client.query<{ query: string }>(
        'SELECT query FROM pg_stat_activity WHERE application_name = $1',
        [REPLICA_READS_APPLICATION_NAME],
      );
      return rows.rows.some((row) => row.query.includes('"public"."sessions"'));
    }, 'app');
    expect(ran).toBe(true);
  });

  it('reads its own writes within a request, while a replica that lags within the bound answers other reads', async () => {
    const user = await registerAndLogin(t.app);
    const checkout = await post('/v1/billing/checkout', user, { planCode: 'pro' });
    const link = new URL(checkout.json().url as string).pathname;
    const confirmed = await t.app.inject({
      method: 'POST',
      url: link,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(confirmed.statusCode).toBe(200);

    await whileReplicaLags(async () => {
      // One request: the cancel is written, then the subscription is read back and answered.
      const canceled = await post('/v1/billing/subscription/cancel', user);
      expect(canceled.statusCode).toBe(200);
      expect(canceled.json()).toMatchObject({ planCode: 'pro', cancelAtPeriodEnd: true });

      // A later request that writes nothing reads the replica, which has not replayed the cancel.
      const shown = await get('/v1/billing/subscription', user);
      expect(shown.json()).toMatchObject({ planCode: 'pro', cancelAtPeriodEnd: false });
      expect(inUse()).toBe(true);
    });
    expect((await get('/v1/billing/subscription', user)).json()).toMatchObject({ cancelAtPeriodEnd: true });
  });

  it('skips a replica that lags beyond the bound, and uses it again once it has caught up', async () => {
    const before = replicaLogs().length;
    await setDeviceOnPrimary(account, 'lag-before');
    await whileReplicaLags(async () => {
      await setDeviceOnPrimary(account, 'lag-after');
      const written = Date.now();
      expect(await deviceShown(account)).toBe('lag-before');

      // No request fails meanwhile: the replica answers until it is skipped, then the primary.
      await eventually(async () => (await deviceShown(account)) === 'lag-after', NOTICE_MS);
      const skippedAfterMs = Date.now() - written;
      // Skipped once the primary's WAL position it missed is a bound old, give or take a check.
      expect(skippedAfterMs).toBeGreaterThanOrEqual(MAX_LAG_MS - 2 * CHECK_INTERVAL_MS);
      expect(replicaState()?.usable).toBe(false);
      // The read stopped going there when its proof of freshness ran out; the next check says why.
      await eventually(async () => replicaState()?.state === 'lagging', NOTICE_MS);
      if (process.env.REPLICA_TIMINGS) console.log(`skipped ${skippedAfterMs} ms after the write`);
      // Several checks later, still one line for the change.
      await new Promise((resolve) => setTimeout(resolve, 3 * CHECK_INTERVAL_MS));
      expect(await deviceShown(account)).toBe('lag-after');
      expect(replicaLogs().slice(before)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Replica 127\\.0\\.0\\.1:${replica.port}/app: skipped, \\d+-\\d+ ms behind the primary \\(bound ${MAX_LAG_MS} ms\\)$`,
          ),
        ),
      ]);
    });
    await eventually(async () => inUse(), NOTICE_MS);
    expect(replicaLogs().slice(before + 1)).toEqual([`Replica 127.0.0.1:${replica.port}/app: back in use`]);

    // In use again: the next unreplayed change is not shown, until replayed.
    await whileReplicaLags(async () => {
      await setDeviceOnPrimary(account, 'lag-again');
      expect(await deviceShown(account)).toBe('lag-after');
    });
    expect(await deviceShown(account)).toBe('lag-again');
  });

  it('keeps a revoked session revoked, and a reused refresh token refused, while the replica lags', async () => {
    const victim = await registerAndLogin(t.app);
    const thief = await registerAndLogin(t.app);
    await whileReplicaLags(async () => {
      // Revoked on the primary only: the replica still holds the session as active.
      expect((await post('/v1/auth/logout', victim)).statusCode).toBe(204);
      expect(inUse()).toBe(true);

      expectProblem(await refresh(victim.refreshToken), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expectProblem(await get('/v1/users/me', victim), INVALID_ACCESS_TOKEN, '/v1/users/me');

      // Redis loses the revocation markers: the check asks the database, then rebuilds them from it.
      await redis.command('FLUSHALL');
      expectProblem(await get('/v1/users/me', victim), INVALID_ACCESS_TOKEN, '/v1/users/me');
      await eventually(async () => {
        await get('/v1/users/me', thief);
        const key = `${t.cachePrefix}:auth:revoked-sessions`;
        return (await redis.command('ZSCORE', key, '~complete').catch(() => null)) !== null;
      }, NOTICE_MS);
      expectProblem(await get('/v1/users/me', victim), INVALID_ACCESS_TOKEN, '/v1/users/me');

      // Rotated on the primary only: the replica still holds the old token as current.
      const rotated = await refresh(thief.refreshToken);
      expect(rotated.statusCode).toBe(200);
      expectProblem(await refresh(thief.refreshToken), REFRESH_TOKEN_REUSED, '/v1/auth/refresh');
      // The reuse revoked the whole session: the token just issued is refused too.
      expectProblem(await refresh(rotated.json().refreshToken as string), INVALID_REFRESH_TOKEN, '/v1/auth/refresh');
      expect(inUse()).toBe(true);
    });
  });

  it('signs in with a password changed a moment ago, and refuses the old one, while the replica lags', async () => {
    const user = await registerAndLogin(t.app);
    await whileReplicaLags(async () => {
      const changed = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/password/change',
        headers: user.auth,
        payload: { currentPassword: user.password, newPassword: `${user.password}-new` },
      });
      expect(changed.statusCode).toBe(204);

      await expect(login(t.app, user.email, user.password)).rejects.toThrow('login failed: 401');
      expect((await login(t.app, user.email, `${user.password}-new`)).accessToken).toEqual(expect.any(String));
    });
  });

  it.each(['immediate', 'fast'] as const)(
    'fails no request while the replica is stopped (%s), skips it, and uses it again once it is back',
    async (mode) => {
      const before = replicaLogs().length;
      const statuses: number[] = [];
      let stopping = true;
      const traffic = async () => {
        // Bounded: at most 2,000 requests per worker, and only while the stop is under way.
        for (let sent = 0; sent < 2_000 && stopping; sent++) {
          const res: LightMyRequestResponse = await get('/v1/auth/sessions', account);
          statuses.push(res.statusCode);
        }
      };
      const workers = Array.from({ length: 8 }, traffic);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await replica.stop(mode);
      await eventually(async () => replicaState()?.state === 'unreachable', NOTICE_MS);
      await new Promise((resolve) => setTimeout(resolve, 300));
      stopping = false;
      await Promise.all(workers);

      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      if (process.env.REPLICA_TIMINGS)
        console.log(`${mode} stop: ${statuses.length} requests, ${replicaLogs().at(-1)}`);
      expect(await deviceShown(account)).toEqual(expect.any(String));
      expect(replicaLogs().slice(before)).toEqual([
        expect.stringMatching(new RegExp(`^Replica 127\\.0\\.0\\.1:${replica.port}/app: skipped, unreachable: `)),
      ]);

      await replica.start();
      await eventually(async () => inUse(), NOTICE_MS);
      expect(replicaLogs().slice(before + 1)).toEqual([`Replica 127.0.0.1:${replica.port}/app: back in use`]);
      await setDeviceOnPrimary(account, 'after-restart');
      await whileReplicaLags(async () => {
        await setDeviceOnPrimary(account, 'after-restart-unreplayed');
        expect(await deviceShown(account)).toBe('after-restart');
      });
    },
  );

  it('answers every read while the replica hangs (connections open, nothing answered), from the primary once it is found unreachable', async () => {
    const proxy = new FlakyProxy(new URL(replica.url('app')));
    await proxy.start();
    const proxied = new URL(replica.url('app'));
    proxied.port = String(proxy.port);
    const other = await createTestApp({
      database: privateDatabase(primary.url('app'), {
        DATABASE_REPLICA_URLS: proxied.toString(),
        DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
        DATABASE_REPLICA_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
      }),
    });
    try {
      const otherPrisma = other.app.get(PrismaService);
      const who = await registerAndLogin(other.app);
      await eventually(async () => otherPrisma.replicaStatus()[0]?.usable === true, NOTICE_MS);
      const read = async () => {
        const started = Date.now();
        const res = await other.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: who.auth });
        return { status: res.statusCode, ms: Date.now() - started };
      };
      // Reads under way on the replica when it stops answering, and reads that keep coming.
      const warm = await Promise.all(Array.from({ length: 4 }, read));
      proxy.stall();
      const during: Array<{ status: number; ms: number }> = [];
      const stalledAt = Date.now();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          // Bounded: 200 reads per worker at most, for as long as the replica is not found out.
          for (let sent = 0; sent < 200 && Date.now() - stalledAt < 10_000; sent++) {
            during.push(await read());
            if (otherPrisma.replicaStatus()[0]?.state === 'unreachable' && sent > 2) break;
          }
        }),
      );
      if (process.env.REPLICA_TIMINGS) {
        console.log(`hung replica: ${during.length} reads, slowest ${Math.max(...during.map((r) => r.ms))} ms`);
      }

      expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(during.filter((r) => r.status !== 200)).toEqual([]);
      expect(otherPrisma.replicaStatus()[0]?.state).toBe('unreachable');
      // Found out within a check's timeout (2 s) and an interval, not after TCP gives up.
      expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(5_000);
    } finally {
      proxy.resume();
      await other.close();
      await proxy.stop();
    }
  });

  it('keeps readiness about the primary: ready with the replica down', async () => {
    await replica.stop('fast');
    try {
      await eventually(async () => replicaState()?.state === 'unreachable', NOTICE_MS);
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
    } finally {
      await replica.start();
    }
    await eventually(async () => inUse(), NOTICE_MS);
  });
});
