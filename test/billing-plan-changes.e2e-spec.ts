import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService, type PlanInterval } from '@app/database';
import { registerAndLogin, type TestAccount } from './utils/auth.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { seedTestPlans } from './utils/billing.js';

const DAY_MS = 86_400_000;

/**
 * The local provider's terms: trials once per user, plan changes prorated and invoiced at once,
 * out of a trial by the target plan's terms, and retired plans refused.
 */
describe('billing terms with the local provider (e2e)', () => {
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
    await seedTestPlans(t);
    // Next to the seeded pro (1900/month, 14-day trial) and business (19000/year, no trial).
    await addPlan('starter', { priceCents: 900, interval: 'MONTH', trialDays: 0 });
    await addPlan('team', { priceCents: 4900, interval: 'MONTH', trialDays: 7 });
    await addPlan('euro', { priceCents: 1000, interval: 'MONTH', trialDays: 0, currency: 'eur' });
  });

  afterAll(async () => {
    await t.close();
  });

  async function addPlan(
    code: string,
    terms: { priceCents: number; interval: PlanInterval; trialDays: number; currency?: string },
  ) {
    await prisma.plan.create({
      data: {
        code,
        name: code.charAt(0).toUpperCase() + code.slice(1),
        currency: 'usd',
        ...terms,
        entitlements: { features: [`${code}.feature`], limits: {} },
        sortOrder: 10,
      },
    });
  }

  const get = (url: string, account: TestAccount) => t.app.inject({ method: 'GET', url, headers: account.auth });
  const post = (url: string, account: TestAccount, payload?: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url, headers: account.auth, ...(payload ? { payload } : {}) });
  const change = (account: TestAccount, planCode: string) =>
    post('/v1/billing/subscription/change', account, { planCode });
  const subscription = async (account: TestAccount) => (await get('/v1/billing/subscription', account)).json();
  /** Oldest first, as the user was billed. */
  const invoices = async (account: TestAccount) =>
    ((await get('/v1/billing/invoices?limit=100', account)).json().items as Array<Record<string, unknown>>).reverse();

  async function checkoutLink(account: TestAccount, planCode: string): Promise<string> {
    const res = await post('/v1/billing/checkout', account, { planCode });
    expect(res.statusCode).toBe(200);
    return new URL(res.json().url as string).pathname;
  }

  async function subscribe(account: TestAccount, planCode: string) {
    const confirmed = await t.app.inject({ method: 'POST', url: await checkoutLink(account, planCode) });
    expect(confirmed.statusCode).toBe(200);
  }

  /** Moves the current period (a trial's too) so that it started `sinceDays` ago and ends in `untilDays`. */
  async function setPeriod(account: TestAccount, sinceDays: number, untilDays: number) {
    const now = Date.now();
    const end = new Date(now + untilDays * DAY_MS);
    const live = await prisma.subscription.findFirstOrThrow({ where: { userId: account.id, canceledAt: null } });
    await prisma.subscription.update({
      where: { id: live.id },
      data: {
        currentPeriodStart: new Date(now - sinceDays * DAY_MS),
        currentPeriodEnd: end,
        ...(live.status === 'TRIALING' ? { trialEndsAt: end } : {}),
      },
    });
    return { start: new Date(now - sinceDays * DAY_MS), end };
  }

  /** A date within a few seconds of now (the request's own clock). */
  const aboutNow = (iso: unknown) => Math.abs(new Date(String(iso)).getTime() - Date.now()) < 10_000;
  const addMonths = (iso: unknown, months: number) => {
    const date = new Date(String(iso));
    date.setUTCMonth(date.getUTCMonth() + months);
    return date.toISOString();
  };

  /** The subscription's period starts now and lasts `months`. */
  function expectPeriodFromNow(current: Record<string, unknown>, months: number) {
    expect(aboutNow(current.currentPeriodStart)).toBe(true);
    expect(current.currentPeriodEnd).toBe(addMonths(current.currentPeriodStart, months));
  }

  describe('trials are once per user', () => {
    async function cancelledTrial() {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'pro');
      expect(await subscription(user)).toMatchObject({ status: 'TRIALING' });
      await post('/v1/billing/subscription/cancel', user);
      await prisma.subscription.updateMany({
        where: { userId: user.id },
        data: { currentPeriodEnd: new Date(Date.now() - 60_000) },
      });
      expect(await subscription(user)).toMatchObject({ status: 'CANCELED' });
      return user;
    }

    it('starts a re-subscription after a cancelled trial active, invoiced at once, and offers no trial', async () => {
      const user = await cancelledTrial();
      const link = await checkoutLink(user, 'pro');

      const page = await t.app.inject({ method: 'GET', url: link });
      const confirmed = await t.app.inject({ method: 'POST', url: link });

      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('19.00 USD per month.');
      expect(page.body).not.toContain('free trial');
      expect(confirmed.statusCode).toBe(200);
      const current = await subscription(user);
      expect(current).toMatchObject({ planCode: 'pro', status: 'ACTIVE', trialEndsAt: null });
      expectPeriodFromNow(current, 1);
      expect(await invoices(user)).toEqual([
        expect.objectContaining({
          amountCents: 1900,
          currency: 'usd',
          status: 'PAID',
          periodStart: current.currentPeriodStart,
          periodEnd: current.currentPeriodEnd,
        }),
      ]);
      expect((await get('/v1/billing/entitlements', user)).json().planCode).toBe('pro');
    });

    it('still offers the trial to a user who never had one', async () => {
      const user = await registerAndLogin(t.app);

      const page = await t.app.inject({ method: 'GET', url: await checkoutLink(user, 'pro') });

      expect(page.body).toContain('after a 14-day free trial');
    });

    it('holds when two links are confirmed at once after a cancelled trial: one paid subscription', async () => {
      const user = await cancelledTrial();
      const links = [await checkoutLink(user, 'pro'), await checkoutLink(user, 'pro')];

      const responses = await Promise.all(links.map((url) => t.app.inject({ method: 'POST', url })));

      expect(responses.map((res) => res.statusCode).sort()).toEqual([200, 409]);
      const rows = await prisma.subscription.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
      expect(rows.map((row) => [row.status, row.trialEndsAt === null])).toEqual([
        ['CANCELED', false],
        ['ACTIVE', true],
      ]);
      expect((await invoices(user)).map((invoice) => invoice.amountCents)).toEqual([1900]);
    });

    it('gives one trial when two links of a new user are confirmed at once', async () => {
      const user = await registerAndLogin(t.app);
      const links = [await checkoutLink(user, 'pro'), await checkoutLink(user, 'team')];

      const responses = await Promise.all(links.map((url) => t.app.inject({ method: 'POST', url })));

      expect(responses.map((res) => res.statusCode).sort()).toEqual([200, 409]);
      expect(await prisma.subscription.count({ where: { userId: user.id, status: 'TRIALING' } })).toBe(1);
      expect(await prisma.subscription.count({ where: { userId: user.id } })).toBe(1);
    });
  });

  describe('a plan change out of a trial follows the target plan', () => {
    it('ends the trial when the target has none: active, a new period from now, invoiced in full', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'pro');

      const res = await change(user, 'business');

      expect(res.statusCode).toBe(200);
      const changed = res.json();
      expect(changed).toMatchObject({ planCode: 'business', status: 'ACTIVE' });
      expectPeriodFromNow(changed, 12);
      expect(changed.trialEndsAt).toBe(changed.currentPeriodStart);
      expect(await subscription(user)).toEqual(changed);
      expect(await invoices(user)).toEqual([
        expect.objectContaining({
          amountCents: 19000,
          status: 'PAID',
          periodStart: changed.currentPeriodStart,
          periodEnd: changed.currentPeriodEnd,
        }),
      ]);
      expect((await get('/v1/billing/entitlements', user)).json()).toMatchObject({
        planCode: 'business',
        features: ['api.export', 'team.sso'],
      });
    });

    it("keeps the trial into a plan with one, no longer than that plan's own, and never lengthens it", async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'pro');
      const started = (await subscription(user)).currentPeriodStart as string;
      const sevenDays = new Date(new Date(started).getTime() + 7 * DAY_MS).toISOString();

      const toTeam = await change(user, 'team');
      const backToPro = await change(user, 'pro');

      expect(toTeam.json()).toMatchObject({
        planCode: 'team',
        status: 'TRIALING',
        currentPeriodStart: started,
        currentPeriodEnd: sevenDays,
        trialEndsAt: sevenDays,
      });
      expect(backToPro.json()).toMatchObject({ planCode: 'pro', status: 'TRIALING', trialEndsAt: sevenDays });
      expect(await invoices(user)).toEqual([]);
      expect((await get('/v1/billing/entitlements', user)).json().planCode).toBe('pro');
    });

    it("ends the trial at once when the target's shorter trial is already over", async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'pro');
      await setPeriod(user, 10, 4);

      const changed = (await change(user, 'team')).json();

      expect(changed).toMatchObject({ planCode: 'team', status: 'ACTIVE' });
      expectPeriodFromNow(changed, 1);
      expect((await invoices(user)).map((invoice) => invoice.amountCents)).toEqual([4900]);
    });

    it('gives no trial to a paid subscription moving to a plan with one', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');

      const changed = (await change(user, 'team')).json();

      expect(changed).toMatchObject({ planCode: 'team', status: 'ACTIVE', trialEndsAt: null });
    });
  });

  describe('a plan change on a paid period is prorated to the second and invoiced at once', () => {
    it('credits the unused time of the old price and charges the rest on the new one, both ways', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');
      // A 30-day period with 20 days left: two thirds of each price.
      const { start, end } = await setPeriod(user, 10, 20);

      const upgraded = await change(user, 'team');
      const downgraded = await change(user, 'starter');

      expect(upgraded.statusCode).toBe(200);
      expect(upgraded.json()).toMatchObject({
        planCode: 'team',
        status: 'ACTIVE',
        currentPeriodStart: start.toISOString(),
        currentPeriodEnd: end.toISOString(),
      });
      expect(downgraded.json()).toMatchObject({ planCode: 'starter', currentPeriodEnd: end.toISOString() });
      const [first, upgrade, downgrade, ...rest] = await invoices(user);
      expect(rest).toEqual([]);
      expect(first).toMatchObject({ amountCents: 900 });
      // round(4900 * 2/3) - round(900 * 2/3) = 3267 - 600
      expect(upgrade).toMatchObject({
        amountCents: 2667,
        currency: 'usd',
        status: 'PAID',
        periodEnd: end.toISOString(),
      });
      expect(aboutNow(upgrade?.periodStart)).toBe(true);
      // A credit: round(900 * 2/3) - round(4900 * 2/3)
      expect(downgrade).toMatchObject({ amountCents: -2667, periodEnd: end.toISOString() });
      expect(upgrade?.number).not.toBe(downgrade?.number);
      expect((await get('/v1/billing/entitlements', user)).json().planCode).toBe('starter');
    });

    it('starts a new period now for another interval, charged in full less the unused time', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');
      await setPeriod(user, 15, 15);

      const changed = (await change(user, 'business')).json();

      expect(changed).toMatchObject({ planCode: 'business', status: 'ACTIVE' });
      expectPeriodFromNow(changed, 12);
      const [, proration] = await invoices(user);
      // 19000 - round(900 * 1/2)
      expect(proration).toMatchObject({
        amountCents: 18550,
        periodStart: changed.currentPeriodStart,
        periodEnd: changed.currentPeriodEnd,
      });
    });

    it('refuses a plan billed in another currency, and changes nothing', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');

      const res = await change(user, 'euro');

      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ status: 422, code: 'PLAN_CURRENCY_MISMATCH' });
      expect(await subscription(user)).toMatchObject({ planCode: 'starter' });
      expect(await invoices(user)).toHaveLength(1);
    });

    it('bills each change once when two arrive at once', async () => {
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');
      await setPeriod(user, 10, 20);

      const responses = await Promise.all([change(user, 'team'), change(user, 'pro')]);

      const applied = responses.filter((res) => res.statusCode === 200);
      expect(applied.length).toBeGreaterThanOrEqual(1);
      for (const res of responses.filter((candidate) => candidate.statusCode !== 200)) {
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 'SUBSCRIPTION_CHANGED' });
      }
      expect(await invoices(user)).toHaveLength(1 + applied.length);
      const final = await subscription(user);
      expect(applied.map((res) => res.json().planCode)).toContain(final.planCode);
    });
  });

  describe('retired plans', () => {
    async function retire(code: string, active = false) {
      await prisma.plan.update({ where: { code }, data: { active } });
    }

    it('refuses a link issued before its plan was retired, at the page and at confirmation, and keeps it', async () => {
      await addPlan('legacy', { priceCents: 500, interval: 'MONTH', trialDays: 0 });
      const user = await registerAndLogin(t.app);
      const link = await checkoutLink(user, 'legacy');
      await retire('legacy');

      const page = await t.app.inject({ method: 'GET', url: link });
      const confirmed = await t.app.inject({ method: 'POST', url: link });

      for (const res of [page, confirmed]) {
        expect(res.statusCode).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ status: 422, code: 'PLAN_NOT_PURCHASABLE', instance: link });
      }
      expect(await prisma.subscription.count({ where: { userId: user.id } })).toBe(0);
      expect(await invoices(user)).toEqual([]);
      // The link was not used up: back on sale, it subscribes.
      await retire('legacy', true);
      expect((await t.app.inject({ method: 'POST', url: link })).statusCode).toBe(200);
      expect(await subscription(user)).toMatchObject({ planCode: 'legacy', status: 'ACTIVE' });
    });

    it('refuses checkout and plan changes to a retired plan', async () => {
      await addPlan('sunset', { priceCents: 700, interval: 'MONTH', trialDays: 0 });
      await retire('sunset');
      const user = await registerAndLogin(t.app);
      await subscribe(user, 'starter');

      const checkout = await post('/v1/billing/checkout', await registerAndLogin(t.app), { planCode: 'sunset' });
      const changed = await change(user, 'sunset');

      for (const res of [checkout, changed]) {
        expect(res.statusCode).toBe(422);
        expect(res.json()).toMatchObject({ code: 'PLAN_NOT_PURCHASABLE' });
      }
      expect(await subscription(user)).toMatchObject({ planCode: 'starter' });
    });
  });

  it('renews once when several reads arrive at the end of a period at once', async () => {
    const user = await registerAndLogin(t.app);
    await subscribe(user, 'starter');
    const end = new Date(Date.now() - 60_000);
    const start = new Date(end);
    start.setUTCMonth(start.getUTCMonth() - 1);
    await prisma.subscription.updateMany({
      where: { userId: user.id },
      data: { currentPeriodStart: start, currentPeriodEnd: end },
    });

    const reads = await Promise.all(Array.from({ length: 6 }, () => get('/v1/billing/subscription', user)));

    expect(reads.map((res) => res.statusCode)).toEqual(Array(6).fill(200));
    expect(new Set(reads.map((res) => res.json().currentPeriodEnd)).size).toBe(1);
    const billed = await invoices(user);
    expect(billed).toHaveLength(2);
    expect(billed[1]).toMatchObject({ amountCents: 900, periodStart: end.toISOString() });
    expect(new Set(billed.map((invoice) => invoice.number)).size).toBe(2);
  });
});
