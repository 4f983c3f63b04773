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

/** Test databases are named `<prefix><run pid>_...`; a run whose process is gone left them behind. */
function runIsAlive(datname: string): boolean {
  const pid = Number(
    /(\d+)_/.exec(datname.slice(TEST_DATABASE_PREFIX.length))?.[1] ?? /_building_(\d+)$/.exec(datname)?.[1],
  );
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs once before all test files: finds PostgreSQL and Redis, and migrates a template database
 * that every test file clones (CREATE DATABASE ... TEMPLATE) in milliseconds.
 * Without servers it says so and falls back to PGlite and the memory store, except under CI=true.
 */
export async function setup(): Promise<void> {
  const strict = process.env.CI === 'true';
  const [pgUp, redisUp] = await Promise.all([postgresReachable(), redisReachable()]);
  const missing = [!pgUp && `PostgreSQL (${TEST_DATABASE_URL})`, !redisUp && `Redis (${TEST_REDIS_URL})`].filter(
    Boolean,
  );
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
  // Databases of this run are named after this process, so concurrent runs leave each other alone.
  process.env.TEST_RUN_ID = String(process.pid);
  process.env.TEST_REDIS_MODE = redisUp ? 'redis' : 'memory';
  if (!pgUp) return;

  const template = templateDatabaseName();
  process.env.TEST_TEMPLATE_DATABASE = template;
  await withAdminClient(async (admin) => {
    // Leftovers of interrupted runs: databases whose run's process is gone (templates are reused
    // while the migrations are unchanged).
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2`,
      [`${TEST_DATABASE_PREFIX}%`, `${TEST_DATABASE_PREFIX}template_%`],
    );
    for (const { datname } of stale.rows) {
      if (!runIsAlive(datname)) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }

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
    // Templates of other migration sets stay: another run (a branch, the schematic test's copy)
    // may be cloning from one right now. Only half-built ones of finished runs go.
    const abandoned = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2`,
      [`${TEST_DATABASE_PREFIX}template_%_building_%`, building],
    );
    for (const { datname } of abandoned.rows) {
      if (!runIsAlive(datname)) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
    try {
      await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(template)}`);
    } catch (error) {
      // A concurrent run finished the same template first: use theirs.
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (!exists.rowCount) throw error;
    }
  });
}

/** Drops the databases this run's test files created (a file that crashed may not have dropped its own). */
export async function teardown(): Promise<void> {
  if (process.env.TEST_DB_MODE !== 'postgres') return;
  await withAdminClient(async (admin) => {
    const left = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2`,
      [`${TEST_DATABASE_PREFIX}${process.env.TEST_RUN_ID ?? 'none'}\\_%`, `${TEST_DATABASE_PREFIX}template_%`],
    );
    for (const { datname } of left.rows)
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
  });
}
