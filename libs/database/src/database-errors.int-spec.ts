import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrivatePostgres } from '../../../test/utils/private-postgres.js';
import { PrismaClient } from './generated/prisma/client.js';
import {
  DatabaseConnectionError,
  DatabaseNotMigratedError,
  DatabasePool,
  DatabaseUnavailableError,
  databaseErrorToDomain,
} from './database-errors.js';

/** What `promise` rejects with, classified; fails the test if it resolves. */
async function classified(promise: Promise<unknown>): Promise<{ error: unknown; domain: unknown }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (rejection: unknown) => rejection,
  );
  return { error, domain: databaseErrorToDomain(error) };
}

describe(databaseErrorToDomain.name, () => {
  let cluster: PrivatePostgres;
  let prisma: PrismaClient;
  let fresh: PrismaClient;

  const client = (url: string) =>
    new PrismaClient({
      adapter: new PrismaPg(new DatabasePool({ connectionString: url, max: 2, connectionTimeoutMillis: 1_000 }), {
        disposeExternalPool: true,
      }),
    });

  beforeAll(async () => {
    cluster = await PrivatePostgres.create();
    prisma = client(await cluster.createDatabase('app'));
    fresh = client(await cluster.createDatabase('fresh', { migrated: false }));
  }, 60_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await fresh?.$disconnect();
    await cluster?.destroy();
  }, 60_000);

  it('leaves constraint violations and SQL errors to their callers (not an outage)', async () => {
    const data = { email: 'taken@example.com', name: 'A', passwordHash: 'x' };
    await prisma.user.create({ data });

    await expect(classified(prisma.user.create({ data }))).resolves.toMatchObject({
      error: { code: 'P2002' },
      domain: undefined,
    });
    await expect(classified(prisma.$queryRawUnsafe('SELEC 1'))).resolves.toMatchObject({ domain: undefined });
  });

  it('reads a statement timeout (57014) and an expired or unstartable transaction (P2028) as unavailable', async () => {
    const timedOut = prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL statement_timeout = '50ms'");
      await tx.$queryRawUnsafe('SELECT 1 AS x FROM pg_sleep(1)');
    });
    const expired = prisma.$transaction(() => new Promise((done) => setTimeout(done, 300)), { timeout: 100 });

    expect((await classified(timedOut)).domain).toBeInstanceOf(DatabaseUnavailableError);
    await expect(classified(expired)).resolves.toMatchObject({ error: { code: 'P2028' } });
    expect((await classified(expired)).domain).toBeInstanceOf(DatabaseUnavailableError);
  });

  it('reads a missing table, through the models or raw SQL, as not migrated', async () => {
    const model = await classified(fresh.user.findMany());
    const raw = await classified(fresh.$queryRawUnsafe('SELECT * FROM users'));

    expect(model.error).toMatchObject({ code: 'P2021' });
    expect(model.domain).toBeInstanceOf(DatabaseNotMigratedError);
    expect(raw.error).toMatchObject({ code: 'P2010' });
    expect(raw.domain).toBeInstanceOf(DatabaseNotMigratedError);
  });

  it('reads a stopped server as unavailable for models, raw SQL and transactions alike', async () => {
    await prisma.user.count();
    await cluster.stop('fast');
    try {
      const failures = await Promise.all([
        classified(prisma.user.count()),
        classified(prisma.$queryRawUnsafe('SELECT 1')),
        classified(prisma.$executeRawUnsafe('SELECT 1')),
        classified(prisma.$transaction(async (tx) => tx.user.count())),
        classified(prisma.$transaction([prisma.user.count()])),
      ]);

      for (const { error, domain } of failures) {
        expect(error).toBeInstanceOf(DatabaseConnectionError);
        expect(domain).toBeInstanceOf(DatabaseUnavailableError);
      }
    } finally {
      await cluster.start();
    }
    await expect(prisma.user.count()).resolves.toBe(1);
  });
});
