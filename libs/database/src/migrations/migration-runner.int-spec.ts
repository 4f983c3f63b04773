import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openPGlite } from '../pglite-image.js';
import { createTestDatabase, usingPostgres } from '../../../../test/utils/test-database.js';
import { openPgSession, pgliteSession, type SqlSession } from '../sql-session.js';
import { defaultMigrationsDir, migrationChecksum, readMigrationFiles } from './migration-files.js';
import {
  FailedMigrationError,
  MigrationChecksumMismatchError,
  MigrationError,
  PRISMA_MIGRATION_LOCK_KEY,
  applyMigrations,
} from './migration-runner.js';

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  started_at: Date;
  logs: string | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

/** An empty database and a way to open more sessions on it (real PostgreSQL, else PGlite). */
async function emptyDatabase(): Promise<{ open: () => Promise<SqlSession>; dispose: () => Promise<void> }> {
  if (usingPostgres()) {
    const database = await createTestDatabase({ migrated: false });
    const sessions: SqlSession[] = [];
    return {
      open: async () => {
        const session = await openPgSession(database.url ?? '');
        sessions.push(session);
        return session;
      },
      dispose: async () => {
        await Promise.all(sessions.map((session) => session.close()));
        await database.drop();
      },
    };
  }
  const db = await openPGlite();
  return { open: async () => pgliteSession(db), dispose: () => db.close() };
}

const rowsOf = (session: SqlSession) =>
  session.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');

describe(`${applyMigrations.name} (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const committed = readMigrationFiles(defaultMigrationsDir());
  let db: Awaited<ReturnType<typeof emptyDatabase>>;
  let tmpDirs: string[] = [];

  beforeAll(() => {
    expect(committed.length).toBeGreaterThan(0);
  });

  afterEach(async () => {
    await db?.dispose();
    await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    tmpDirs = [];
  });

  /** A scratch copy of the committed migrations that a test may edit. */
  async function copyOfMigrations(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    tmpDirs.push(dir);
    await cp(defaultMigrationsDir(), dir, { recursive: true });
    return dir;
  }

  it('applies every migration to an empty database and records it exactly as Prisma does', async () => {
    db = await emptyDatabase();
    const session = await db.open();

    const result = await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    expect(result).toEqual({ applied: committed.map((m) => m.name), unknown: [] });
    const rows = await rowsOf(session);
    expect(rows).toHaveLength(committed.length);
    rows.forEach((row, index) => {
      const file = committed[index];
      expect(row).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: file?.checksum,
        migration_name: file?.name,
        finished_at: expect.any(Date),
        started_at: expect.any(Date),
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      // Prisma's checksum: lower-case sha256 hex of migration.sql.
      expect(row.checksum).toBe(migrationChecksum(file?.script ?? ''));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    });
    const tables = await session.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['_prisma_migrations', 'plans', 'users']));
  });

  it("creates the bookkeeping table with Prisma's exact columns", async () => {
    db = await emptyDatabase();
    const session = await db.open();
    await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    const columns = await session.query<{
      column_name: string;
      data_type: string;
      is_nullable: string;
      len: number | null;
    }>(
      `SELECT column_name, data_type, is_nullable, character_maximum_length AS len
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', len: 36 },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', len: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', len: 255 },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', len: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', len: null },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', len: null },
    ]);
  });

  it('applies nothing the second time', async () => {
    db = await emptyDatabase();
    const session = await db.open();
    await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    const second = await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    expect(second.applied).toEqual([]);
    expect(await rowsOf(session)).toHaveLength(committed.length);
  });

  it('applies each migration once when several instances migrate at the same time', async () => {
    db = await emptyDatabase();
    const sessions = await Promise.all([1, 2, 3, 4].map(() => db.open()));

    const results = await Promise.all(
      sessions.map((session) => applyMigrations(session, { migrationsDir: defaultMigrationsDir() })),
    );

    expect(results.flatMap((r) => r.applied).sort()).toEqual(committed.map((m) => m.name));
    expect(await rowsOf(sessions[0] as SqlSession)).toHaveLength(committed.length);
  });

  it('waits for the advisory lock Prisma itself takes, and releases it', async () => {
    db = await emptyDatabase();
    const holder = await db.open();
    const runner = await db.open();
    if (usingPostgres()) {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
      let finished = false;
      const running = applyMigrations(runner, { migrationsDir: defaultMigrationsDir() }).then((r) => {
        finished = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(finished).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
      await expect(running).resolves.toMatchObject({ applied: committed.map((m) => m.name) });
    } else {
      // PGlite has a single connection: there is no second session to contend with.
      await applyMigrations(runner, { migrationsDir: defaultMigrationsDir() });
    }

    const [released] = await holder.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_MIGRATION_LOCK_KEY,
    ]);
    expect(released?.locked).toBe(true);
    await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
  });

  it('refuses to run when an applied migration file was changed', async () => {
    db = await emptyDatabase();
    const session = await db.open();
    const dir = await copyOfMigrations();
    await applyMigrations(session, { migrationsDir: dir });
    const first = committed[0]?.name ?? '';
    await appendFile(path.join(dir, first, 'migration.sql'), '\n-- edited after being applied\n');
    await mkdir(path.join(dir, '99990101000000_later'));
    await writeFile(path.join(dir, '99990101000000_later', 'migration.sql'), 'CREATE TABLE "later" (id int);');

    const run = applyMigrations(session, { migrationsDir: dir });

    await expect(run).rejects.toThrow(MigrationChecksumMismatchError);
    await expect(run).rejects.toThrow(`modified after being applied: ${first}`);
    // Nothing else was applied either.
    expect((await rowsOf(session)).map((r) => r.migration_name)).not.toContain('99990101000000_later');
  });

  it('records a failing migration, rolls its statements back, and refuses to continue until resolved', async () => {
    db = await emptyDatabase();
    const session = await db.open();
    const dir = await copyOfMigrations();
    await mkdir(path.join(dir, '99990101000000_broken'));
    await writeFile(
      path.join(dir, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE "half_done" (id int);\nSELECT no_such_function();\n',
    );

    await expect(applyMigrations(session, { migrationsDir: dir })).rejects.toThrow(MigrationError);

    const broken = (await rowsOf(session)).find((r) => r.migration_name === '99990101000000_broken');
    expect(broken).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(broken?.logs).toContain('no_such_function');
    const halfDone = await session.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(halfDone).toHaveLength(0);
    await expect(applyMigrations(session, { migrationsDir: dir })).rejects.toThrow(FailedMigrationError);
  });

  it('reports migrations the database has but the checkout does not', async () => {
    db = await emptyDatabase();
    const session = await db.open();
    const dir = await copyOfMigrations();
    await mkdir(path.join(dir, '99990101000000_newer'));
    await writeFile(path.join(dir, '99990101000000_newer', 'migration.sql'), 'CREATE TABLE "newer" (id int);');
    await applyMigrations(session, { migrationsDir: dir });

    const result = await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    expect(result).toEqual({ applied: [], unknown: ['99990101000000_newer'] });
  });
});
