import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { AppConfig } from '@app/config';
import { PrismaClient } from './generated/prisma/client.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { openPgSession, pgliteSession, type SqlSession } from './sql-session.js';
import { applyMigrations } from './migrations/migration-runner.js';
import { defaultMigrationsDir } from './migrations/migration-files.js';

/**
 * The Prisma client of the application, on PostgreSQL (`DATABASE_URL`) through @prisma/adapter-pg
 * or, with no URL, on an in-process PGlite database. Only `*.repository.ts` files use it.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PrismaService.name);
  private readonly config: AppConfig['database'];
  private readonly embedded: PGlite | undefined;

  constructor(config: AppConfig) {
    const database = config.database;
    const embedded = database.url === undefined ? openEmbeddedDatabase(database.embeddedDir) : undefined;
    super({
      adapter: embedded
        ? new PrismaPGlite(embedded)
        : new PrismaPg({
            connectionString: database.url,
            max: database.poolMax,
            // Fail a query (and the readiness probe) instead of queueing forever when the server is gone.
            connectionTimeoutMillis: 5_000,
          }),
    });
    this.config = database;
    this.embedded = embedded;
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  async onModuleInit(): Promise<void> {
    if (this.embedded) await this.embedded.waitReady;
    if (this.config.migrateOnBoot) await this.migrate();
    await this.$connect();
    // Fail the boot now if the database is unreachable, rather than on the first request.
    await this.$queryRawUnsafe('SELECT 1');
    this.logger.log(
      this.embedded ? `Using the embedded PGlite database (${this.config.embeddedDir})` : 'Connected to PostgreSQL',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.embedded?.close();
  }

  /** Applies pending migrations through the same runner as `npm run db:migrate`. */
  async migrate(migrationsDir = defaultMigrationsDir()): Promise<string[]> {
    const session: SqlSession = this.embedded
      ? pgliteSession(this.embedded)
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
