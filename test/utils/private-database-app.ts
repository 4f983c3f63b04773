import { afterAll, beforeAll } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { registerAndLogin, type TestAccount } from './auth.js';
import { PrivatePostgres } from './private-postgres.js';
import { createTestApp, type TestApp } from './test-app.js';
import type { TestDatabase } from './test-database.js';

/** The fixed part of the answer to a request the database cannot serve now. */
export const DATABASE_UNAVAILABLE = {
  type: 'urn:problem-type:database-unavailable',
  title: 'Service Unavailable',
  status: 503,
  detail: 'The database is unavailable; try again shortly.',
  code: 'DATABASE_UNAVAILABLE',
};

/** A database of the private cluster, in the shape createTestApp reuses (the cluster is dropped whole). */
export function privateDatabase(url: string, env: Record<string, string> = {}): TestDatabase {
  return {
    url,
    env: { DATABASE_URL: url, DATABASE_MIGRATE_ON_BOOT: 'false', DATABASE_SEED_ON_BOOT: 'false', ...env },
    drop: async () => undefined,
  };
}

/** Polls `probe` every 100 ms until it is true, for at most `ms`. */
export async function eventually(probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let attempt = 0; attempt < Math.ceil(ms / 100); attempt++) {
    if (await probe()) return;
    if (Date.now() > deadline) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`not true within ${ms} ms`);
}

/** A private cluster with a migrated database `app`, the app on it, and a signed-in account. */
export async function startPrivateApp(
  options: { maxConnections?: number; env?: Record<string, string> } = {},
): Promise<{ cluster: PrivatePostgres; t: TestApp; account: TestAccount }> {
  const cluster = await PrivatePostgres.create({ maxConnections: options.maxConnections });
  let t: TestApp | undefined;
  try {
    t = await createTestApp({ database: privateDatabase(await cluster.createDatabase('app'), options.env) });
    return { cluster, t, account: await registerAndLogin(t.app) };
  } catch (error) {
    await stopPrivateApp(t, cluster);
    throw error;
  }
}

/** Closes the app and removes its cluster, whatever state a failed test left them in. */
export async function stopPrivateApp(t: TestApp | undefined, cluster: PrivatePostgres | undefined): Promise<void> {
  try {
    await t?.close();
  } finally {
    await cluster?.destroy();
  }
}

/**
 * Before the tests of a `describe`: a private cluster with a migrated database `app`, the app on
 * it and a signed-in account; afterwards, the app closed and the cluster removed.
 */
export function usePrivateApp(options: { maxConnections?: number; env?: Record<string, string> } = {}): {
  cluster: PrivatePostgres;
  t: TestApp;
  account: TestAccount;
} {
  const ctx = {} as { cluster: PrivatePostgres; t: TestApp; account: TestAccount };
  beforeAll(async () => {
    Object.assign(ctx, await startPrivateApp(options));
  }, 60_000);
  afterAll(() => stopPrivateApp(ctx.t, ctx.cluster), 60_000);
  return ctx;
}

/**
 * Takes an exclusive lock on `users` from a connection of its own, then starts a login (which
 * reads `users`) and waits until its query is blocked on the lock: the app's connection stays
 * busy on the server until `release()`, or until the server goes away.
 */
export async function loginBlockedOnLock(
  cluster: PrivatePostgres,
  t: TestApp,
  account: TestAccount,
): Promise<{ login: Promise<LightMyRequestResponse>; release(): Promise<void> }> {
  const locker = new pg.Client({ connectionString: cluster.url('app') });
  locker.on('error', () => undefined);
  await locker.connect();
  const release = async () => {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end().catch(() => undefined);
  };
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    const login = t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: account.email, password: account.password },
    });
    await eventually(async () =>
      cluster.withClient(async (client) => {
        const blocked = await client.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = 'app' AND wait_event_type = 'Lock'",
        );
        return (blocked.rowCount ?? 0) > 0;
      }),
    );
    return { login, release };
  } catch (error) {
    await release();
    throw error;
  }
}
