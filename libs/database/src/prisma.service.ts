import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@app/config';
import { withTimeout } from '@app/common';
import { PrismaClient } from './generated/prisma/client.js';
import { embeddedDatabaseAdapter, openEmbeddedDatabase } from './embedded-database.js';
import { openPgSession, pgliteSession, type SqlSession } from './sql-session.js';
import { applyMigrations, APPLIED_MIGRATION_NAMES } from './migrations/migration-runner.js';
import { defaultMigrationsDir, readMigrationFiles } from './migrations/migration-files.js';
import { DatabasePool, MIGRATE_COMMAND } from './database-errors.js';
import { ReadReplicas, type ReplicaStatus } from './replicas/read-replicas.js';
import { readRouting } from './replicas/read-routing.js';

/** Longest wait for the replicas' pools to close at shutdown. */
const REPLICAS_CLOSE_TIMEOUT_MS = 2_000;

/**
 * The Prisma client of the application, on PostgreSQL (`DATABASE_URL`) through @prisma/adapter-pg
 * or, with no URL, on an in-process PGlite database. Only `*.repository.ts` files use it. PGlite and
 * its Prisma adapter are loaded only in the second case.
 *
 * With read replicas (`DATABASE_REPLICA_URLS`) the instance is this client extended by
 * {@link readRouting}: reads go to a healthy replica within the lag bound unless the request has
 * written; `primary` is the same client with every query on the primary, for the reads that must
 * see its latest state (security checks, read-then-write decisions, what fills a shared cache).
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
  /** The read replicas, when configured. */
  private readonly replicas: ReadReplicas | undefined;
  /**
   * Every query on the primary, whatever the replicas: for a read that must not lag behind a write
   * made elsewhere (a revoked session, a rotated refresh token, a used token, a row about to be
   * changed on its strength, a value about to be cached for everyone). Without replicas, this client.
   */
  readonly primary: PrismaClient;

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
    if (database.url === undefined || database.replicas.urls.length === 0) {
      this.primary = this;
      return;
    }
    const replicas = ReadReplicas.open(database);
    this.replicas = replicas;
    this.primary = this.$extends(readRouting(replicas, { primaryOnly: true })) as unknown as PrismaClient;
    // Prisma's extensions make a new client rather than change this one: the instance Nest (or a
    // CLI) gets is the routed client, which keeps this class's methods and fields.
    return this.$extends(readRouting(replicas)) as unknown as PrismaService;
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
    // A replica down at boot is skipped, not fatal: the primary answers its reads.
    await this.replicas?.start();
  }

  /** The replicas and whether each is read from now; empty without DATABASE_REPLICA_URLS. */
  replicaStatus(): ReplicaStatus[] {
    return this.replicas?.status() ?? [];
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
    // The primary first: a hung replica can hold its pool's connections (reads it lost to the
    // primary), and its close is given a bound, not the rest of the shutdown.
    await this.$disconnect();
    // Past the bound the shutdown goes on; the pools end with the process.
    if (this.replicas) await withTimeout(this.replicas.stop(), REPLICAS_CLOSE_TIMEOUT_MS).catch(() => undefined);
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
