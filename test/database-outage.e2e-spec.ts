import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { createAccountWithRole, strongPassword, uniqueEmail, type TestAccount } from './utils/auth.js';
import { OpenApiConformance } from './utils/openapi-conformance.js';
import { specOperations } from './utils/openapi-spec.js';
import { DATABASE_UNAVAILABLE, eventually, loginBlockedOnLock, usePrivateApp } from './utils/private-database-app.js';
import { expectProblem } from './utils/problem.js';
import type { TestApp } from './utils/test-app.js';

const spec = new OpenApiConformance();

interface Call {
  /** The operation as the spec names it, e.g. `GET /v1/users/me`. */
  operation: string;
  url: string;
  payload?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Routes of every kind that need the database: reads, writes, login, token refresh, a transaction, an idempotent write. */
function databaseRoutes(account: TestAccount): Call[] {
  return [
    {
      operation: 'POST /v1/auth/register',
      url: '/v1/auth/register',
      payload: { email: uniqueEmail(), password: strongPassword(), name: 'New' },
    },
    {
      operation: 'POST /v1/auth/login',
      url: '/v1/auth/login',
      payload: { email: account.email, password: account.password },
    },
    {
      operation: 'POST /v1/auth/login',
      url: '/v1/auth/login',
      payload: { email: account.email, password: 'Wrong-password-123' },
    },
    { operation: 'POST /v1/auth/refresh', url: '/v1/auth/refresh', payload: { refreshToken: account.refreshToken } },
    { operation: 'GET /v1/auth/sessions', url: '/v1/auth/sessions', headers: account.auth },
    { operation: 'PATCH /v1/users/me', url: '/v1/users/me', payload: { name: 'Renamed' }, headers: account.auth },
    { operation: 'GET /v1/billing/invoices', url: '/v1/billing/invoices', headers: account.auth },
    {
      operation: 'POST /v1/billing/checkout',
      url: '/v1/billing/checkout',
      payload: { planCode: 'pro' },
      headers: { ...account.auth, 'idempotency-key': `key-${Math.random().toString(36).slice(2)}` },
    },
  ];
}

function send(t: TestApp, call: Call): Promise<LightMyRequestResponse> {
  const [method = 'GET'] = call.operation.split(' ');
  return t.app.inject({
    method: method as 'GET',
    url: call.url,
    headers: call.headers,
    ...(call.payload ? { payload: call.payload } : {}),
  });
}

describe('database outage (e2e, a private PostgreSQL cluster stopped and restarted)', () => {
  const ctx = usePrivateApp({ maxConnections: 30 });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After on every route while the server is stopped, login included', async () => {
    await ctx.cluster.stop('fast');
    try {
      for (const call of databaseRoutes(ctx.account)) {
        const res = await send(ctx.t, call);

        expectProblem(res, DATABASE_UNAVAILABLE, call.url);
        expect(res.headers['retry-after']).toBe('5');
        expect(spec.problems(call.operation, res)).toEqual([]);
        expect(res.body).not.toContain(String(ctx.cluster.port));
      }
    } finally {
      await ctx.cluster.start();
    }
  });

  it('answers no 5xx but 503 on any operation of the spec while the server is stopped, each answer as the spec declares', async () => {
    const admin = await createAccountWithRole(ctx.t.app, 'ADMIN');
    await ctx.cluster.stop('fast');
    const answers: Array<{ operation: string; status: number; problems: string[] }> = [];
    try {
      for (const { method, path } of specOperations()) {
        const operation = `${method} ${path}`;
        const res = await ctx.t.app.inject({
          method: method as 'GET',
          url: path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000'),
          headers: admin.auth,
          ...(method === 'GET' ? {} : { payload: {} }),
        });
        answers.push({ operation, status: res.statusCode, problems: spec.problems(operation, res) });
      }
    } finally {
      await ctx.cluster.start();
    }

    expect(answers.length).toBeGreaterThan(30);
    expect(answers.filter(({ status }) => status >= 500 && status !== 503)).toEqual([]);
    expect(answers.filter(({ problems }) => problems.length > 0)).toEqual([]);
    // Most of them need the database; only routes that refuse the empty body first, or need none, answer otherwise.
    expect(answers.filter(({ status }) => status === 503).length).toBeGreaterThan(10);
  });

  it('reports the database down on /health/ready without naming its host or port, and ready again after', async () => {
    await ctx.cluster.stop('fast');
    let down: LightMyRequestResponse;
    try {
      down = await ctx.t.app.inject({ method: 'GET', url: '/health/ready' });
    } finally {
      await ctx.cluster.start();
    }

    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      status: 'error',
      info: { cache: expect.objectContaining({ status: 'up' }) },
      error: { database: { status: 'down' } },
      details: { database: { status: 'down' }, cache: expect.objectContaining({ status: 'up' }) },
    });
    expect(down.body).not.toContain(String(ctx.cluster.port));
    expect(down.body).not.toContain('127.0.0.1');
    expect(spec.problems('GET /health/ready', down)).toEqual([]);
    const up = await ctx.t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(up.statusCode).toBe(200);
  });

  it('under load: 400 concurrent requests during the outage are all 503, and the same app serves 200 after the restart', async () => {
    await ctx.cluster.stop('fast');
    const statuses = new Map<number, number>();
    try {
      const calls = Array.from({ length: 50 }, () => databaseRoutes(ctx.account)).flat();
      const answers = await Promise.all(calls.map((call) => send(ctx.t, call)));
      for (const res of answers) statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    } finally {
      await ctx.cluster.start();
    }

    expect(Object.fromEntries(statuses)).toEqual({ 503: 400 });
    const me = await ctx.t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      payload: { name: 'Back' },
      headers: ctx.account.auth,
    });
    expect(me.statusCode).toBe(200);
    const signIn = await ctx.t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: ctx.account.email, password: ctx.account.password },
    });
    expect(signIn.statusCode).toBe(200);
  });

  it('answers 503 to a request in flight when the server crashes (immediate stop), then recovers', async () => {
    // A lock held elsewhere keeps the login's query waiting on the server until the crash.
    const blocked = await loginBlockedOnLock(ctx.cluster, ctx.t, ctx.account);
    let res: LightMyRequestResponse;
    try {
      await ctx.cluster.stop('immediate');
      res = await blocked.login;
    } finally {
      await blocked.release();
      if (!ctx.cluster.running) await ctx.cluster.start();
    }

    expectProblem(res, DATABASE_UNAVAILABLE, '/v1/auth/login');
    await eventually(async () => (await ctx.t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200);
    const sessions = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    expect(sessions.statusCode).toBe(200);
  });

  it('answers 503 when the server has no connection slot left (53300 too_many_connections)', async () => {
    const hogs: pg.Client[] = [];
    let res: LightMyRequestResponse;
    try {
      // Drop the app's pooled connections, then take every slot of the server.
      await ctx.cluster.withClient((client) =>
        client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'app'"),
      );
      for (let slot = 0; slot < 30; slot++) {
        const client = new pg.Client({ connectionString: ctx.cluster.url('postgres') });
        client.on('error', () => undefined);
        try {
          await client.connect();
        } catch {
          break;
        }
        hogs.push(client);
      }
      res = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    } finally {
      await Promise.all(hogs.map((client) => client.end().catch(() => undefined)));
    }

    expectProblem(res, DATABASE_UNAVAILABLE, '/v1/auth/sessions');
    const after = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    expect(after.statusCode).toBe(200);
  });

  it('answers 503 while the server is up but not accepting connections yet (57P03 cannot_connect_now)', async () => {
    await ctx.cluster.stop('fast');
    let refused: LightMyRequestResponse;
    let ready: LightMyRequestResponse;
    try {
      await ctx.cluster.startRefusingConnections();
      await expect(ctx.cluster.withClient(async () => undefined)).rejects.toMatchObject({ code: '57P03' });
      refused = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
      ready = await ctx.t.app.inject({ method: 'GET', url: '/health/ready' });
    } finally {
      await ctx.cluster.stop('fast');
      await ctx.cluster.start();
    }

    expectProblem(refused, DATABASE_UNAVAILABLE, '/v1/auth/sessions');
    expect(ready.statusCode).toBe(503);
    const after = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    expect(after.statusCode).toBe(200);
  });

  it('after a crash, answers only 503 until the restarted server has recovered, then 200', async () => {
    await ctx.cluster.stop('immediate');
    const statuses = new Set<number>();
    try {
      // Crash recovery runs at the next start; requests keep coming meanwhile.
      let started = false;
      const starting = ctx.cluster.start().finally(() => (started = true));
      for (let round = 0; round < 200 && !started; round++) {
        const res = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
        statuses.add(res.statusCode);
        if (res.statusCode === 503) expectProblem(res, DATABASE_UNAVAILABLE, '/v1/auth/sessions');
      }
      await starting;
    } finally {
      if (!ctx.cluster.running) await ctx.cluster.start();
    }

    expect([...statuses].filter((status) => status !== 503 && status !== 200)).toEqual([]);
    await eventually(
      async () =>
        (await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth })).statusCode ===
        200,
    );
  });
});

describe('database and cache both down (e2e, private PostgreSQL, unreachable Redis)', () => {
  const ctx = usePrivateApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });

  it('answers 503, not 401, to a valid token whose revocation check falls back to the stopped database', async () => {
    await ctx.cluster.stop('fast');
    let res: LightMyRequestResponse;
    try {
      res = await ctx.t.app.inject({ method: 'GET', url: '/v1/users/me', headers: ctx.account.auth });
    } finally {
      await ctx.cluster.start();
    }

    expectProblem(res, DATABASE_UNAVAILABLE, '/v1/users/me');
    expect(res.headers['retry-after']).toBe('5');
    const after = await ctx.t.app.inject({ method: 'GET', url: '/v1/users/me', headers: ctx.account.auth });
    expect(after.statusCode).toBe(200);
  });
});
