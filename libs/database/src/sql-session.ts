import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * The little SQL surface the migration runner and the seed need, over one connection
 * (advisory locks are per session, so a pool would not do).
 */
export interface SqlSession {
  /** One statement with bind parameters. */
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** A whole script of statements, sent as one simple-protocol query (what Prisma does). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPgSession(url: string): Promise<SqlSession> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return {
    query: async <Row>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as Row[],
    exec: async (script) => {
      await client.query(script);
    },
    close: () => client.end(),
  };
}

/** Wraps an open PGlite instance; closing the session leaves the instance open for its owner. */
export function pgliteSession(db: PGlite): SqlSession {
  return {
    query: async <Row>(sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows,
    exec: async (script) => {
      await db.exec(script);
    },
    close: async () => undefined,
  };
}
