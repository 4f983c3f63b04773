import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { openPGlite } from './pglite-image.js';

/**
 * Opens the embedded database: `memory://` keeps it in memory; anything else is a data directory.
 * PGlite (a WebAssembly build of PostgreSQL) is loaded on first use, so a process on
 * `DATABASE_URL` never loads it.
 */
export async function openEmbeddedDatabase(dir: string): Promise<PGlite> {
  // A new cluster starts from the cached image of a fresh one (pglite-image.ts), not initdb.
  return openPGlite(dir);
}

/**
 * Prisma's driver adapter for an embedded database that may still be opening. Prisma builds its
 * client synchronously but connects later (`$connect()`, or the first query): only then are the
 * database awaited and pglite-prisma-adapter loaded.
 */
export function embeddedDatabaseAdapter(database: Promise<PGlite>): SqlDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: 'pglite-prisma-adapter',
    connect: async (): Promise<SqlDriverAdapter> => {
      const { PrismaPGlite } = await import('pglite-prisma-adapter');
      return new PrismaPGlite(await database).connect();
    },
  };
}
