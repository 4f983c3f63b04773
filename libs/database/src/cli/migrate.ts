// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or to the embedded database).
import { loadConfig, readEnvironment, ConfigValidationError } from '@app/config';
import { openEmbeddedDatabase } from '../embedded-database.js';
import { openPgSession, pgliteSession } from '../sql-session.js';
import { applyMigrations } from '../migrations/migration-runner.js';
import { defaultMigrationsDir } from '../migrations/migration-files.js';

try {
  const config = loadConfig(readEnvironment());
  const { url, embeddedDir } = config.database;
  const embedded = url === undefined ? await openEmbeddedDatabase(embeddedDir) : undefined;
  const session = embedded ? pgliteSession(embedded) : await openPgSession(url ?? '');
  try {
    console.log(`Migrating ${embedded ? `the embedded database at ${embeddedDir}` : 'DATABASE_URL'}`);
    const result = await applyMigrations(session, { migrationsDir: defaultMigrationsDir(), log: console.log });
    console.log(
      result.applied.length === 0 ? 'Database is up to date.' : `Applied ${result.applied.length} migration(s).`,
    );
    if (result.unknown.length > 0)
      console.warn(`Applied in the database but not found here: ${result.unknown.join(', ')}`);
  } finally {
    await session.close();
    await embedded?.close();
  }
} catch (error) {
  console.error(error instanceof ConfigValidationError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
