import { applyMigrations } from '../../libs/database/src/migrations/migration-runner.js';
import { defaultMigrationsDir } from '../../libs/database/src/migrations/migration-files.js';
import { openPgSession } from '../../libs/database/src/sql-session.js';
import {
  TEST_DATABASE_PREFIX,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  databaseUrl,
  postgresReachable,
  quoteIdent,
  redisReachable,
  templateDatabaseName,
  withAdminClient,
} from './test-env.js';

/**
 * Runs once before all test files: finds PostgreSQL and Redis, and migrates a template database
 * that every test file clones (CREATE DATABASE ... TEMPLATE) in milliseconds.
 * Without servers it says so and falls back to PGlite and the memory store, except under CI=true.
 */
export default async function globalSetup(): Promise<void> {
  const strict = process.env.CI === 'true';
  const [pgUp, redisUp] = await Promise.all([postgresReachable(), redisReachable()]);
  const missing = [!pgUp && `PostgreSQL (${TEST_DATABASE_URL})`, !redisUp && `Redis (${TEST_REDIS_URL})`].filter(Boolean);
  if (missing.length > 0) {
    const message = `Cannot reach ${missing.join(' and ')}.`;
    if (strict) throw new Error(`${message} CI=true requires the real servers; start them (see .ci/run).`);
    console.warn(
      `\n${message}\nFalling back to ${[!pgUp && 'the embedded PGlite database', !redisUp && 'the in-memory cache']
        .filter(Boolean)
        .join(' and ')}. Set TEST_DATABASE_URL / TEST_REDIS_URL to use real servers.\n`,
    );
  }
  process.env.TEST_DB_MODE = pgUp ? 'postgres' : 'pglite';
  process.env.TEST_REDIS_MODE = redisUp ? 'redis' : 'memory';
  if (!pgUp) return;

  const template = templateDatabaseName();
  process.env.TEST_TEMPLATE_DATABASE = template;
  await withAdminClient(async (admin) => {
    // Leftovers of an interrupted run (not templates: they are reused while migrations are unchanged).
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2`,
      [`${TEST_DATABASE_PREFIX}%`, `${TEST_DATABASE_PREFIX}template_%`],
    );
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);

    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount) return;
    // Build under a temporary name and rename at the end, so a half-built template is never used.
    const building = `${template}_building_${process.pid}`;
    await admin.query(`CREATE DATABASE ${quoteIdent(building)}`);
    const session = await openPgSession(databaseUrl(building));
    try {
      await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });
    } finally {
      await session.close();
    }
    const oldTemplates = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2`,
      [`${TEST_DATABASE_PREFIX}template_%`, building],
    );
    for (const { datname } of oldTemplates.rows) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(template)}`);
  });
}
