import { randomBytes } from 'node:crypto';
import { TEST_DATABASE_PREFIX, databaseUrl, quoteIdent, withAdminClient } from '../setup/test-env.js';

export interface TestDatabase {
  /** Set in postgres mode; undefined means "use the embedded PGlite in memory". */
  url: string | undefined;
  /** The environment selecting this database (DATABASE_URL or an in-memory PGlite with boot migrations). */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export function usingPostgres(): boolean {
  return process.env.TEST_DB_MODE === 'postgres';
}

/** An in-memory embedded PGlite database, migrated (and optionally seeded) at boot like `npm start`. */
export function embeddedDatabase(options: { seed?: boolean } = {}): TestDatabase {
  return {
    url: undefined,
    env: {
      DATABASE_EMBEDDED_DIR: 'memory://',
      DATABASE_MIGRATE_ON_BOOT: 'true',
      DATABASE_SEED_ON_BOOT: String(options.seed ?? false),
    },
    drop: async () => undefined,
  };
}

/** A fresh database for one test file: a clone of the migrated template, or an in-memory PGlite. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  if (!usingPostgres()) {
    const embedded = embeddedDatabase();
    return { ...embedded, env: { ...embedded.env, DATABASE_MIGRATE_ON_BOOT: String(migrated) } };
  }
  const name = `${TEST_DATABASE_PREFIX}${process.env.TEST_RUN_ID ?? process.pid}_${process.env.VITEST_POOL_ID ?? '0'}_${randomBytes(5).toString('hex')}`;
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (migrated && !template)
    throw new Error('No template database: is the Vitest global setup (test/setup/global-setup.ts) configured?');
  await withAdminClient((admin) =>
    admin.query(`CREATE DATABASE ${quoteIdent(name)}${migrated ? ` TEMPLATE ${quoteIdent(template ?? '')}` : ''}`),
  );
  const url = databaseUrl(name);
  return {
    url,
    env: { DATABASE_URL: url, DATABASE_MIGRATE_ON_BOOT: 'false', DATABASE_SEED_ON_BOOT: 'false' },
    drop: () =>
      withAdminClient((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
