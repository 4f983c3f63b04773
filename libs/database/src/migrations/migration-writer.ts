/**
 * The on-disk side of creating a migration, following what `prisma migrate dev` writes:
 * `<migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` plus `migration_lock.toml`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE, MIGRATION_SCRIPT_FILE } from './schema-diff.js';

/** Prisma cuts the slugified name at 200 characters (the engine rejects longer ones). */
const MAX_MIGRATION_NAME_LENGTH = 200;

/**
 * Turns a user-given name into the snake_case slug Prisma uses for the directory name
 * (`Add userName!` -> `add_user_name`). Returns '' when nothing usable is left.
 */
export function sanitizeMigrationName(raw: string): string {
  return (
    raw
      // Accented letters keep their base letter instead of becoming separators.
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      // "user's" reads as one word, as in Prisma's slugify.
      .replace(/([a-zA-Z\d]+)'([ts])(\s|$)/g, '$1$2$3')
      // camelCase and PascalCase words become separate words.
      .replace(/([a-z\d])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z\d]+)/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, MAX_MIGRATION_NAME_LENGTH)
  );
}

/** UTC `YYYYMMDDHHMMSS`, the prefix that makes migration directories sort in order. */
function migrationTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

export interface WriteMigrationOptions {
  migrationsDir: string;
  /** Already sanitised with `sanitizeMigrationName`. */
  name: string;
  sql: string;
  now?: Date;
}

/** Writes the migration and the lock file; returns the new migration directory. */
export async function writeMigration({ migrationsDir, name, sql, now }: WriteMigrationOptions): Promise<string> {
  const directory = path.join(migrationsDir, `${migrationTimestamp(now)}_${name}`);
  await mkdir(migrationsDir, { recursive: true });
  // Without `recursive` mkdir fails on an existing directory, so a migration created in
  // the same second under the same name is never overwritten.
  await mkdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new Error(`The migration directory already exists at ${directory}`);
    throw error;
  });
  await writeFile(path.join(directory, MIGRATION_SCRIPT_FILE), sql, 'utf8');
  await ensureMigrationLock(migrationsDir);
  return directory;
}

/** Creates or corrects migration_lock.toml; an identical file is left untouched. */
async function ensureMigrationLock(migrationsDir: string): Promise<void> {
  const lockPath = path.join(migrationsDir, MIGRATION_LOCK_FILE);
  const current = await readFile(lockPath, 'utf8').catch(() => null);
  if (current !== MIGRATION_LOCK_CONTENT) await writeFile(lockPath, MIGRATION_LOCK_CONTENT, 'utf8');
}
