import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { usingPostgres } from './utils/test-database.js';
import { quoteIdent, withAdminClient } from './setup/test-env.js';

const expectedCacheStore = process.env.TEST_REDIS_MODE === 'redis' ? 'redis' : 'memory';

describe('health (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('is live without checking any dependency', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    expect(res.headers['cache-control']).toContain('no-store');
  });

  it('is ready when the database and the cache answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      details: {
        database: { status: 'up' },
        cache: { status: 'up', store: expectedCacheStore },
      },
    });
  });

  it('is not versioned: /v1/health/ready does not exist', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/health/ready' });

    expect(res.statusCode).toBe(404);
  });
});

describe('readiness when the database goes away (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    if (usingPostgres()) await setConnectionsAllowed(t, true);
    await t.close();
  });

  /** Refuse new connections to this test's database and cut the open ones: the server is "gone". */
  async function setConnectionsAllowed(app: TestApp, allowed: boolean): Promise<void> {
    const name = new URL(app.database.url ?? '').pathname.slice(1);
    await withAdminClient(async (admin) => {
      await admin.query(`ALTER DATABASE ${quoteIdent(name)} ALLOW_CONNECTIONS ${allowed}`);
      if (!allowed)
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    });
  }

  it('answers 503 naming the database, then recovers when it is back', async () => {
    if (!usingPostgres()) {
      // Embedded fallback: closing PGlite is the only way to lose the database.
      const { PrismaService } = await import('@app/database');
      await t.app.get(PrismaService).onApplicationShutdown();
      const down = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(down.statusCode).toBe(503);
      return;
    }
    await setConnectionsAllowed(t, false);

    const down = await t.app.inject({ method: 'GET', url: '/health/ready' });

    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      status: 'error',
      error: { database: { status: 'down' } },
      details: { database: { status: 'down' }, cache: { status: 'up' } },
    });
    expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);

    await setConnectionsAllowed(t, true);
    const up = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(up.statusCode).toBe(200);
  });
});

describe('readiness when Redis is down (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('stays ready (200) but reports the cache as degraded', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      details: { database: { status: 'up' }, cache: { status: 'degraded', store: 'redis' } },
    });
  });
});
