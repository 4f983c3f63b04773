/**
 * `npm run db:migration -- <name>`: the offline counterpart of
 * `prisma migrate dev --create-only --name <name>`. Diffs prisma/migrations against
 * prisma/schema.prisma with Prisma's WASM schema engine and writes the new migration.
 * It never connects to a real database.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sanitizeMigrationName, writeMigration } from '../migrations/migration-writer.js';
import { diffMigrationsToSchema, MIGRATION_SCRIPT_FILE, SchemaEngineError } from '../migrations/schema-diff.js';

const USAGE = `Usage: npm run db:migration -- <name>

Creates prisma/migrations/<YYYYMMDDHHMMSS>_<name>/migration.sql from the changes in
prisma/schema.prisma since the last migration. <name> is turned into snake_case
([a-z0-9_]), e.g. "add user avatar" -> add_user_avatar.`;

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const [rawName, ...extra] = args;
  if (rawName === undefined || extra.length > 0 || rawName.startsWith('-')) {
    const problem = rawName === undefined ? 'Missing migration name.' : `Invalid arguments: ${args.join(' ')}`;
    console.error(`${problem}\n\n${USAGE}`);
    return 1;
  }
  const name = sanitizeMigrationName(rawName);
  if (name === '') {
    console.error(`Invalid migration name "${rawName}": it must contain letters or digits.\n\n${USAGE}`);
    return 1;
  }

  const root = findRepoRoot();
  const migrationsDir = path.join(root, 'prisma', 'migrations');
  // The schema path shows up in the engine's error messages, so keep it short.
  const schemaPath = path.relative(process.cwd(), path.join(root, 'prisma', 'schema.prisma'));

  const sql = await diffMigrationsToSchema({ schemaPath, migrationsDir });
  if (sql === '') {
    console.log('No schema changes: no migration created.');
    return 0;
  }
  const directory = await writeMigration({ migrationsDir, name, sql });
  console.log(`Created ${path.relative(process.cwd(), path.join(directory, MIGRATION_SCRIPT_FILE))}`);
  return 0;
}

/**
 * The nearest ancestor holding prisma/schema.prisma, starting from this file (so the
 * script works from any working directory, from src or a build output), then from cwd.
 */
function findRepoRoot(): string {
  for (const start of [path.dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'prisma', 'schema.prisma'))) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error('Could not find prisma/schema.prisma in this directory or any parent.');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Engine errors are user-facing (schema validation, a migration that no longer
    // applies): print them as the engine wrote them, like Prisma's CLI, without a stack.
    if (error instanceof SchemaEngineError) {
      console.error(error.code ? `Error: ${error.code}\n\n${error.message}` : `Error: ${error.message}`);
    } else {
      console.error(process.env.DEBUG ? error : `Error: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 1;
  },
);
