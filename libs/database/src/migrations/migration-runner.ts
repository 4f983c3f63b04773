import { randomUUID } from 'node:crypto';
import type { SqlSession } from '../sql-session.js';
import { readMigrationFiles, type MigrationFile } from './migration-files.js';

/** Prisma's own advisory-lock key: our runner and `prisma migrate deploy` exclude each other. */
export const PRISMA_MIGRATION_LOCK_KEY = 72_707_369;

/** Prisma's bookkeeping table, created exactly as Prisma's schema engine creates it. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

/** The names of the migrations applied to completion and not rolled back: the database's history. */
export const APPLIED_MIGRATION_NAMES =
  'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An applied migration's file was edited afterwards: the database no longer matches the history. */
export class MigrationChecksumMismatchError extends MigrationError {
  constructor(readonly migrations: string[]) {
    super(
      `Applied migration${migrations.length > 1 ? 's were' : ' was'} modified after being applied: ` +
        `${migrations.join(', ')}. Restore the original migration.sql and put the change in a new migration.`,
    );
  }
}

/** A previous run failed half-way (Prisma's P3009); a human must resolve it first. */
export class FailedMigrationError extends MigrationError {
  constructor(readonly migration: string) {
    super(
      `Migration ${migration} failed in an earlier run and is not rolled back. Fix the database, then mark it ` +
        'with `prisma migrate resolve --rolled-back` or `--applied` before migrating again.',
    );
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationResult {
  applied: string[];
  /** Migrations the database has but this checkout does not (e.g. a newer deploy ran). */
  unknown: string[];
}

export interface MigrateOptions {
  migrationsDir: string;
  log?: (message: string) => void;
}

/**
 * Applies pending migrations the way `prisma migrate deploy` does, offline and for any
 * {@link SqlSession} (PostgreSQL or PGlite): same table, same rows, same lock.
 */
export async function applyMigrations(session: SqlSession, options: MigrateOptions): Promise<MigrationResult> {
  const log = options.log ?? (() => undefined);
  const files = readMigrationFiles(options.migrationsDir);
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    // Read the history only once the lock is held: another instance may just have migrated.
    const rows = await session.query<MigrationRow>(
      'SELECT id, checksum, migration_name, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) throw new FailedMigrationError(failed.migration_name);

    const applied = new Map(
      rows
        .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
        .map((row) => [row.migration_name, row]),
    );
    const modified = files.filter((file) => {
      const row = applied.get(file.name);
      return row !== undefined && row.checksum !== file.checksum;
    });
    if (modified.length > 0) throw new MigrationChecksumMismatchError(modified.map((file) => file.name));

    const known = new Set(files.map((file) => file.name));
    const unknown = [...applied.keys()].filter((name) => !known.has(name));
    const pending = files.filter((file) => !applied.has(file.name));
    for (const file of pending) {
      await applyOne(session, file);
      log(`Applied migration ${file.name}`);
    }
    return { applied: pending.map((file) => file.name), unknown };
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
  }
}

async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await session.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, file.checksum, file.name],
  );
  try {
    // One simple-protocol query: PostgreSQL runs the whole script as one implicit transaction.
    await session.exec(file.script);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await session.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
    throw new MigrationError(`Migration ${file.name} failed: ${message}`);
  }
  await session.query(
    'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
    [id],
  );
}
