import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@app/database';
import { createAccountWithRole, uniqueEmail, type TestAccount } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { CRAFTED_CURSORS, INVALID_CURSOR_PROBLEM, cursorOf } from './utils/cursors.js';
import { expectProblem } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const AT = '2026-01-02T03:04:05.678Z';

describe('page cursors (e2e)', () => {
  let t: TestApp;
  let admin: TestAccount;
  let buyer: TestAccount;

  beforeAll(async () => {
    t = await createTestApp();
    await seedTestPlans(t);
    admin = await createAccountWithRole(t.app, 'ADMIN');
    buyer = await createAccountWithRole(t.app, 'USER');
    // Three invoices, subscriptions and security events, two of them created in the same millisecond (a tie the id breaks).
    const prisma = t.app.get(PrismaService);
    const plan = await prisma.plan.findFirstOrThrow({ where: { code: 'pro' } });
    const times = [new Date('2026-03-01T00:00:00.000Z'), new Date(AT), new Date(AT)];
    for (const [i, createdAt] of times.entries()) {
      await prisma.securityEvent.create({
        data: { userId: buyer.id, actorId: buyer.id, type: 'LOGIN_SUCCEEDED', createdAt },
      });
      const subscription = await prisma.subscription.create({
        data: {
          userId: buyer.id,
          planId: plan.id,
          provider: 'local',
          status: 'CANCELED',
          currentPeriodStart: createdAt,
          currentPeriodEnd: createdAt,
          providerUpdatedAt: createdAt,
          createdAt,
        },
      });
      await prisma.invoice.create({
        data: {
          userId: buyer.id,
          subscriptionId: subscription.id,
          provider: 'local',
          number: `PAGE-${i}`,
          amountCents: 100,
          currency: 'usd',
          status: 'PAID',
          periodStart: createdAt,
          periodEnd: createdAt,
          createdAt,
        },
      });
    }
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, who: TestAccount) => t.app.inject({ method: 'GET', url, headers: who.auth });

  /** Every item of a list, page by page, following nextCursor. */
  async function walk(url: string, who: TestAccount): Promise<Array<{ id: string; createdAt: string }>> {
    const items: Array<{ id: string; createdAt: string }> = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res = await get(`${url}${url.includes('?') ? '&' : '?'}limit=1${cursor ? `&cursor=${cursor}` : ''}`, who);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: Array<{ id: string; createdAt: string }>; nextCursor: string | null };
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return items;
    }
    throw new Error(`${url} never reached its last page`);
  }

  const newestFirst = <T extends { id: string; createdAt: string }>(items: T[]) =>
    [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));

  describe.each([
    ['GET /v1/users', '/v1/users', '', () => admin],
    ['GET /v1/users sorted by email', '/v1/users', 'sort=email&order=asc&', () => admin],
    ['GET /v1/billing/invoices', '/v1/billing/invoices', '', () => buyer],
    ['GET /v1/billing/subscriptions', '/v1/billing/subscriptions', '', () => admin],
    ['GET /v1/users/me/security-events', '/v1/users/me/security-events', '', () => buyer],
    ['GET /v1/security-events', '/v1/security-events', '', () => admin],
  ])('%s', (_name, path, query, who) => {
    it.each(CRAFTED_CURSORS)('refuses a cursor with %s: 400 VALIDATION_FAILED on cursor', async (_label, cursor) => {
      const res = await get(`${path}?${query}cursor=${cursor}`, who());

      expectProblem(res, INVALID_CURSOR_PROBLEM, path);
    });

    it('pages through every row once, newest first, ties broken by id', async () => {
      const items = await walk(path, who());

      expect(items.length).toBeGreaterThanOrEqual(2);
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      expect(items).toEqual(newestFirst(items));
    });
  });

  describe.each([
    ['GET /v1/users', '/v1/users', () => admin],
    ['GET /v1/billing/invoices', '/v1/billing/invoices', () => buyer],
    ['GET /v1/billing/subscriptions', '/v1/billing/subscriptions', () => admin],
    ['GET /v1/users/me/security-events', '/v1/users/me/security-events', () => buyer],
    ['GET /v1/security-events', '/v1/security-events', () => admin],
  ])('%s', (_name, path, who) => {
    it.each([
      // The last and first instants PostgreSQL timestamps take in `toISOString()`'s form, newest first.
      ['the last millisecond of year 9999: every row comes after it', '9999-12-31T23:59:59.999Z', true],
      ['the first millisecond of year 1: no row comes after it', '0001-01-01T00:00:00.000Z', false],
    ])('takes a cursor at %s', async (_label, createdAt, rowsAfter) => {
      const cursor = cursorOf({ createdAt, id: '00000000-0000-0000-0000-000000000000' });

      const res = await get(`${path}?cursor=${cursor}`, who());

      expect(res.statusCode).toBe(200);
      expect(res.json().items.length > 0).toBe(rowsAfter);
    });
  });

  it('gives the buyer all three invoices across pages, the tie included', async () => {
    const items = await walk('/v1/billing/invoices', buyer);

    expect(items.map((item) => item.createdAt)).toEqual(['2026-03-01T00:00:00.000Z', AT, AT]);
  });

  describe('GET /v1/users sorted by email', () => {
    it('refuses a cursor of the creation order, and takes its own', async () => {
      const byCreation = (await get('/v1/users?limit=1', admin)).json().nextCursor as string;
      const byEmail = (await get('/v1/users?limit=1&sort=email', admin)).json().nextCursor as string;

      expectProblem(await get(`/v1/users?sort=email&cursor=${byCreation}`, admin), INVALID_CURSOR_PROBLEM, '/v1/users');
      expectProblem(await get(`/v1/users?cursor=${byEmail}`, admin), INVALID_CURSOR_PROBLEM, '/v1/users');
      expect((await get(`/v1/users?sort=email&cursor=${byEmail}`, admin)).statusCode).toBe(200);
    });

    it('pages both ways through every matching account once, in email order', async () => {
      const prefix = `page-${randomUUID().slice(0, 8)}`;
      const prisma = t.app.get(PrismaService);
      for (const label of ['c', 'a', 'b']) {
        await prisma.user.create({
          data: { email: `${prefix}-${label}${uniqueEmail('')}`, name: label, passwordHash: 'x' },
        });
      }

      for (const order of ['asc', 'desc'] as const) {
        const items = (await walk(
          `/v1/users?sort=email&order=${order}&emailPrefix=${prefix}`,
          admin,
        )) as unknown as Array<{
          email: string;
        }>;
        const emails = items.map((item) => item.email);
        const sorted = [...emails].sort();
        expect(emails).toEqual(order === 'asc' ? sorted : sorted.reverse());
        expect(emails).toHaveLength(3);
      }
    });
  });

  it('reports a bad cursor together with the other invalid fields, from the validation pipe', async () => {
    const res = await get(`/v1/users?limit=0&cursor=${cursorOf({ createdAt: 'x', id: AT })}`, admin);

    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((error: { field: string }) => error.field)
        .sort(),
    ).toEqual(['cursor', 'limit']);
  });
});
