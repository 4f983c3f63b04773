import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Controller, Get } from '@nestjs/common';
import { PrismaService } from '@app/database';
import { Public } from '../apps/api/src/iam/decorators/public.decorator.js';
import { freePort, startServer, STOPPED_BY_SIGTERM, type RunningServer } from './utils/built-app.js';
import { TEST_REDIS_URL } from './setup/test-env.js';
import { createTestApp } from './utils/test-app.js';
import { createTestDatabase, type TestDatabase } from './utils/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the slow route's handler saw, read after the app has closed. */
const handlerOutcome: { finished?: boolean; queryError?: unknown } = {};

@Public()
@Controller('test-slow')
class SlowController {
  constructor(private readonly prisma: PrismaService) {}

  @Get()
  async slow(): Promise<{ done: boolean }> {
    await sleep(500);
    return { done: true };
  }

  @Get('stuck')
  async stuck(): Promise<{ done: boolean }> {
    await sleep(3_000);
    return { done: true };
  }

  /** Works with the database after a pause, as a request still committing would. */
  @Get('query')
  async query(): Promise<{ done: boolean }> {
    await sleep(500);
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
      handlerOutcome.finished = true;
    } catch (error) {
      handlerOutcome.queryError = error;
    }
    return { done: true };
  }
}

describe('graceful shutdown (e2e)', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const t = await createTestApp({ extra: { controllers: [SlowController] } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();

    const inFlight = fetch(`${url}/v1/test-slow`);
    await sleep(100);
    const closing = t.close();

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });

  it('closes the database only after a handler whose client left has finished with it', async () => {
    const t = await createTestApp({ extra: { controllers: [SlowController] } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();

    const client = new AbortController();
    const abandoned = fetch(`${url}/v1/test-slow/query`, { signal: client.signal }).catch(() => 'aborted');
    await sleep(100);
    client.abort();
    await abandoned;
    // The connection is gone, so Fastify's close has nothing to wait for: only the handler count holds it.
    await t.close();

    expect(handlerOutcome.queryError).toBeUndefined();
    expect(handlerOutcome.finished).toBe(true);
  });
});

describe('graceful shutdown past SHUTDOWN_TIMEOUT_MS (e2e)', () => {
  it('cuts the connections of requests still running, and closes anyway', async () => {
    const t = await createTestApp({ env: { SHUTDOWN_TIMEOUT_MS: '500' }, extra: { controllers: [SlowController] } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();

    const stuck = fetch(`${url}/v1/test-slow/stuck`).then(
      (res) => res.status,
      () => 'cut',
    );
    await sleep(100);
    const closingAt = performance.now();
    await t.close();

    expect(performance.now() - closingAt).toBeLessThan(2_900);
    await expect(stuck).resolves.toBe('cut');
  });
});

/**
 * The built server on SIGTERM with SHUTDOWN_DRAIN_MS: it keeps serving while readiness says 503
 * (a load balancer or Kubernetes moves away), closing each connection after its answer, then stops.
 */
describe('draining on SIGTERM (e2e, the built server)', () => {
  const DRAIN_MS = 1_500;
  let database: TestDatabase;
  let server: RunningServer | undefined;

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await database?.drop();
  });

  it('answers readiness 503 and keeps serving for the drain, then exits by the signal', async () => {
    database = await createTestDatabase();
    server = await startServer(
      {
        ...database.env,
        JWT_SECRET: randomBytes(32).toString('base64url'),
        CACHE_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}`,
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
        REDIS_URL: TEST_REDIS_URL,
        // What this instance counts of the general limit waits for the final sync at shutdown.
        RATE_LIMIT_SYNC_MS: '10000',
      },
      await freePort(),
    );
    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('connection')).not.toBe('close');

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(200);

    const draining = await fetch(`${server.baseUrl}/health/ready`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'shutting_down', info: {}, error: {}, details: {} });
    const live = await fetch(`${server.baseUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('connection')).toBe('close');
    // Two: a client's first request is counted in Redis, the next one here until the final sync.
    for (const _ of [1, 2]) expect((await fetch(`${server.baseUrl}/v1/billing/plans`)).status).toBe(200);

    await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(server.output()).toContain(`SIGTERM: draining for ${DRAIN_MS} ms, then closing`);
    // Redis stays connected until the last shutdown step: the rate limit's final sync reaches it.
    expect(server.output()).not.toContain('Redis is not connected');
  });
});
