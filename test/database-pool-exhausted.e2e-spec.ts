import { describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { DATABASE_UNAVAILABLE, loginBlockedOnLock, usePrivateApp } from './utils/private-database-app.js';
import { expectProblem } from './utils/problem.js';

describe('database pool exhausted (e2e, private PostgreSQL)', () => {
  const ctx = usePrivateApp({ env: { DATABASE_POOL_MAX: '1' } });

  it('answers 503 to a request that waits too long for a pooled connection, and serves again once one is free', async () => {
    // The login holds the pool's only connection, blocked on the lock.
    const blocked = await loginBlockedOnLock(ctx.cluster, ctx.t, ctx.account);
    let waiting: LightMyRequestResponse;
    try {
      waiting = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    } finally {
      await blocked.release();
    }

    expectProblem(waiting, DATABASE_UNAVAILABLE, '/v1/auth/sessions');
    expect((await blocked.login).statusCode).toBe(200);
    const after = await ctx.t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: ctx.account.auth });
    expect(after.statusCode).toBe(200);
  }, 30_000);
});
