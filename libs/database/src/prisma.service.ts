import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@app/config';
import { PrismaClient } from './generated/prisma/client.js';
import { embeddedDatabaseAdapter, openEmbeddedDatabase } from './embedded-database.js';
import { openPgSession, pgliteSession, type SqlSession } from './sql-session.js';
import { applyMigrations, APPLIED_MIGRATION_NAMES } from './migrations/migration-runner.js';
import { defaultMigrationsDir, readMigrationFiles } from './migrations/migration-files.js';
import { DatabasePool, MIGRATE_COMMAND } from './database-errors.js';

/**
 * The Prisma client of the application, on PostgreSQL (`DATABASE_URL`) through @prisma/adapter-pg
 * or, with no URL, on an in-process PGlite database. Only `*.repository.ts` files use it. PGlite and
 * its Prisma adapter are loaded only in the second case.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);
  private readonly config: AppConfig['database'];
  /** The embedded database, opening from the constructor on: awaited by every use. */
  private readonly embedded: Promise<PGlite> | undefined;
  /** The committed migrations this build expects, in apply order. */
  private readonly migrationNames = readMigrationFiles(defaultMigrationsDir()).map((file) => file.name);
  /** Set once every migration is applied: they are never un-applied, so readiness stops asking. */
  private migrationsApplied = false;

  constructor(config: AppConfig) {
    const database = config.database;
    const embedded = database.url === undefined ? openEmbeddedDatabase(database.embeddedDir) : undefined;
    // Awaited in onModuleInit; until then a failure to open must not count as unhandled.
    embedded?.catch(() => undefined);
    super({
      adapter: embedded
        ? embeddedDatabaseAdapter(embedded)
        : new PrismaPg(
            new DatabasePool({
              connectionString: database.url,
              max: database.poolMax,
              // Fail a query (and the readiness probe) instead of queueing forever when the server
              // is gone or every connection stays busy: the request then answers 503.
              connectionTimeoutMillis: 5_000,
            }),
            { disposeExternalPool: true },
          ),
    });
    this.config = database;
    this.embedded = embedded;
  }

  async onModuleInit(): Promise<void> {
    if (this.embedded) await (await this.embedded).waitReady;
    if (this.config.migrateOnBoot) await this.migrate();
    await this.$connect();
    // Fail the boot now if the database is unreachable, rather than on the first request.
    await this.$queryRawUnsafe('SELECT 1');
    this.logger.log(
      this.embedded ? `Using the embedded PGlite database (${this.config.embeddedDir})` : 'Connected to PostgreSQL',
    );
    const pending = await this.pendingMigrations();
    if (pending.length > 0) this.logger.error(pendingMigrationsMessage(pending));
  }

  /**
   * The committed migrations the database has not applied (all of them on a fresh database).
   * Once none are pending the answer is cached: applied migrations stay applied.
   */
  async pendingMigrations(): Promise<string[]> {
    if (this.migrationsApplied) return [];
    const [table] = await this.$queryRaw<{ present: boolean }[]>`
      SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`;
    const applied = new Set(
      table?.present
        ? (await this.$queryRawUnsafe<{ migration_name: string }[]>(APPLIED_MIGRATION_NAMES)).map(
            (row) => row.migration_name,
          )
        : [],
    );
    const pending = this.migrationNames.filter((name) => !applied.has(name));
    this.migrationsApplied = pending.length === 0;
    return pending;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.embedded?.then(
      (database) => database.close(),
      () => undefined,
    );
  }

  /** Applies pending migrations through the same runner as `npm run db:migrate`. */
  async migrate(migrationsDir = defaultMigrationsDir()): Promise<string[]> {
    const session: SqlSession = this.embedded
      ? pgliteSession(await this.embedded)
      : await openPgSession(this.config.url ?? '');
    try {
      const result = await applyMigrations(session, {
        migrationsDir,
        log: (message) => this.logger.log(message),
      });
      if (result.unknown.length > 0) {
        this.logger.warn(`The database has migrations this build does not know: ${result.unknown.join(', ')}`);
      }
      return result.applied;
    } finally {
      await session.close();
    }
  }
}

/** One line for the boot log: what is missing and the command that applies it. */
function pendingMigrationsMessage(pending: string[]): string {
  return (
    `The database lacks ${pending.length} migration${pending.length > 1 ? 's' : ''} of this build ` +
    `(${pending.join(', ')}): run \`${MIGRATE_COMMAND}\` to apply them; /health/ready answers 503 until then.`
  );
}
