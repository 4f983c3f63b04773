import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One `prisma/migrations/<name>/migration.sql`, as Prisma's migration history sees it. */
export interface MigrationFile {
  /** The directory name, e.g. `20260101000000_init`: Prisma's `migration_name`. */
  name: string;
  script: string;
  /** SHA-256 (hex) of migration.sql, the `checksum` Prisma stores in `_prisma_migrations`. */
  checksum: string;
}

/** `prisma/migrations` under the working directory (npm scripts and the app run from the repo root). */
export function defaultMigrationsDir(): string {
  return path.resolve(process.cwd(), 'prisma', 'migrations');
}

/** sha256 hex of a migration script: the `checksum` column of `_prisma_migrations`. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

/** All migrations in apply order (by directory name, as Prisma sorts them); none if the directory is absent. */
export function readMigrationFiles(migrationsDir: string): MigrationFile[] {
  if (!existsSync(migrationsDir)) return [];
  return (
    readdirSync(migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      // Code-unit order, like Prisma's (byte-wise) sort; localeCompare would reorder `_` and digits.
      .sort()
      .map((name) => {
        const file = path.join(migrationsDir, name, 'migration.sql');
        if (!existsSync(file)) {
          throw new Error(`Migration ${name} has no migration.sql: restore it or delete the directory.`);
        }
        const script = readFileSync(file, 'utf8');
        return { name, script, checksum: migrationChecksum(script) };
      })
  );
}
