import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@app/database';
import { verifyPassword } from '@app/common';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { embeddedDatabase } from './utils/test-database.js';

/** `npm start` with no environment: PGlite in process, memory cache, migrations and seed at boot. */
describe('embedded defaults (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ database: embeddedDatabase({ seed: true }), env: { REDIS_URL: '' } });
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  it('is ready on PGlite and the memory store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });

    expect(res.statusCode).toBe(200);
    expect(res.json().details).toMatchObject({ database: { status: 'up' }, cache: { status: 'up', store: 'memory' } });
  });

  it('applied the migrations at boot', async () => {
    const rows = await t.app
      .get(PrismaService)
      .$queryRawUnsafe<Array<{ migration_name: string; finished_at: Date | null }>>(
        'SELECT migration_name, finished_at FROM "_prisma_migrations"',
      );

    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it('seeded the plans from prisma/seed/plans.json and an admin account', async () => {
    const prisma = t.app.get(PrismaService);

    const plans = await prisma.plan.findMany({ orderBy: { sortOrder: 'asc' } });
    const admin = await prisma.user.findUnique({ where: { email: 'admin@example.com' } });

    expect(plans.map((plan) => plan.code)).toEqual(['free', 'pro', 'business']);
    expect(plans[1]?.entitlements).toEqual({ features: ['api.export'], limits: { 'projects.max': 20 } });
    expect(admin).toMatchObject({ role: 'ADMIN', status: 'ACTIVE' });
    expect(admin?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(verifyPassword(admin?.passwordHash ?? '', 'wrong password')).resolves.toBe(false);
  });
});
