import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '@app/database';
import { createAccountWithRole, uniqueEmail, type TestAccount } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { expectProblem } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const BAD_CURSOR = {
  type: 'urn:problem-type:validation-failed',
  title: 'Bad Request',
  status: 400,
  detail: 'The request is invalid.',
  code: 'VALIDATION_FAILED',
  errors: [{ field: 'cursor', message: 'cursor is not a valid page cursor' }],
};

const AT = '2026-01-02T03:04:05.678Z';
const ID = '01937a5e-8b1c-7d2e-9f30-4a5b6c7d8e9f';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * Well-formed cursors (base64url of JSON) whose keys have the wrong type, shape or count for a
 * list paged by creation time: each once reached PostgreSQL (`Invalid Date`, `invalid input
 * syntax for type uuid`) and answered 500.
 */
const CRAFTED_BY_CREATION: Array<[string, unknown]> = [
  ['the old tuple with a date that is not one', ['not-a-date', ID]],
  ['the old tuple with an id that is not a uuid', [AT, 'not-a-uuid']],
  ['a date that is not one', { createdAt: 'not-a-date', id: ID }],
  ['an impossible date', { createdAt: '2026-02-30T00:00:00.000Z', id: ID }],
  ['a date as a number', { createdAt: 1_767_323_045_678, id: ID }],
  ['an id that is not a uuid', { createdAt: AT, id: 'not-a-uuid' }],
  ['an id as a number', { createdAt: AT, id: 7 }],
  ['an id as an object', { createdAt: AT, id: { not: null } }],
  ['a missing id', { createdAt: AT }],
  ['an extra key', { createdAt: AT, id: ID, userId: ID }],
  ['keys of another order', { email: 'a@example.com', id: ID }],
];

describe('page cursors (e2e)', () => {
  let t: TestApp;
  let admin: TestAccount;
  let buyer: TestAccount;

  beforeAll(async () => {
    t = await createTestApp();
    await seedTestPlans(t);
    admin = await createAccountWithRole(t.app, 'ADMIN');
    buyer = await createAccountWithRole(t.app, 'USER');
    // Three invoices and subscriptions, two of them created in the same millisecond (a tie the id breaks).
    const prisma = t.app.get(PrismaService);
    const plan = await prisma.plan.findFirstOrThrow({ where: { code: 'pro' } });
    const times = [new Date('2026-03-01T00:00:00.000Z'), new Date(AT), new Date(AT)];
    for (const [i, createdAt] of times.entries()) {
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
    ['GET /v1/users', '/v1/users', () => admin],
    ['GET /v1/billing/invoices', '/v1/billing/invoices', () => buyer],
    ['GET /v1/billing/subscriptions', '/v1/billing/subscriptions', () => admin],
  ])('%s', (_name, path, who) => {
    it.each(CRAFTED_BY_CREATION)('refuses a cursor with %s: 400 VALIDATION_FAILED on cursor', async (_label, value) => {
      const res = await get(`${path}?cursor=${cursorOf(value)}`, who());

      expectProblem(res, BAD_CURSOR, path);
    });

    it('pages through every row once, newest first, ties broken by id', async () => {
      const items = await walk(path, who());

      expect(items.length).toBeGreaterThanOrEqual(2);
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      expect(items).toEqual(newestFirst(items));
    });
  });

  it('gives the buyer all three invoices across pages, the tie included', async () => {
    const items = await walk('/v1/billing/invoices', buyer);

    expect(items.map((item) => item.createdAt)).toEqual(['2026-03-01T00:00:00.000Z', AT, AT]);
  });

  describe('GET /v1/users sorted by email', () => {
    it.each([
      ['the old tuple with an id that is not a uuid', ['a@example.com', 'not-a-uuid']],
      ['the old tuple with a NUL character', ['a\u0000@example.com', ID]],
      ['an email as a number', { email: 5, id: ID }],
      ['an email with a NUL character', { email: 'a\u0000@example.com', id: ID }],
      ['an email with a lone surrogate', { email: '\ud800@example.com', id: ID }],
      ['an id that is not a uuid', { email: 'a@example.com', id: 'x' }],
      ['the keys of the creation order', { createdAt: AT, id: ID }],
    ])('refuses a cursor with %s', async (_label, value) => {
      const res = await get(`/v1/users?sort=email&order=asc&cursor=${cursorOf(value)}`, admin);

      expectProblem(res, BAD_CURSOR, '/v1/users');
    });

    it('refuses a cursor of the creation order, and takes its own', async () => {
      const byCreation = (await get('/v1/users?limit=1', admin)).json().nextCursor as string;
      const byEmail = (await get('/v1/users?limit=1&sort=email', admin)).json().nextCursor as string;

      expectProblem(await get(`/v1/users?sort=email&cursor=${byCreation}`, admin), BAD_CURSOR, '/v1/users');
      expectProblem(await get(`/v1/users?cursor=${byEmail}`, admin), BAD_CURSOR, '/v1/users');
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
    const res = await get(`/v1/users?limit=0&cursor=${cursorOf({ createdAt: 'x', id: ID })}`, admin);

    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((error: { field: string }) => error.field)
        .sort(),
    ).toEqual(['cursor', 'limit']);
  });
});
