import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  applyMigrations,
  defaultMigrationsDir,
  openEmbeddedDatabase,
  openPgSession,
  pgliteSession,
  readMigrationFiles,
  type SqlSession,
} from '@app/database';
import { createTestDatabase, usingPostgres } from '../../../../test/utils/test-database.js';

const MIGRATION = readMigrationFiles(defaultMigrationsDir()).find((file) =>
  file.name.endsWith('_security_event_actor'),
);

/**
 * The migration that gives security events their actor keeps the events recorded before it and
 * fills in the actor wherever the old rows said who it was (`details.by`, or an event only ever
 * recorded for the account's own action); the others keep none.
 */
describe(`the security_event_actor migration (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let session: SqlSession;
  let dispose: () => Promise<void>;
  let before: string;
  const user = '01937a5e-0000-7000-8000-000000000001';
  const admin = '01937a5e-0000-7000-8000-000000000002';

  beforeAll(async () => {
    expect(MIGRATION).toBeDefined();
    if (usingPostgres()) {
      const database = await createTestDatabase({ migrated: false });
      session = await openPgSession(database.url ?? '');
      dispose = async () => {
        await session.close();
        await database.drop();
      };
    } else {
      const db = await openEmbeddedDatabase('memory://');
      session = pgliteSession(db);
      dispose = () => db.close();
    }
    // The migrations up to the one under test, applied to an empty database.
    before = await mkdtemp(path.join(os.tmpdir(), 'migrations-before-actor-'));
    await cp(defaultMigrationsDir(), before, { recursive: true });
    for (const later of readMigrationFiles(before).filter((file) => file.name >= (MIGRATION?.name ?? ''))) {
      await rm(path.join(before, later.name), { recursive: true });
    }
    await applyMigrations(session, { migrationsDir: before });
  });

  afterAll(async () => {
    await dispose?.();
    if (before) await rm(before, { recursive: true, force: true });
  });

  it('fills the actor from details.by and for self-service events, and leaves the rest without one', async () => {
    for (const [id, email] of [
      [user, 'owner@example.com'],
      [admin, 'admin@example.com'],
    ]) {
      await session.query(
        `INSERT INTO users (id, email, name, "passwordHash", "updatedAt") VALUES ($1, $2, 'Someone', 'x', now())`,
        [id, email],
      );
    }
    const events: Array<[type: string, userId: string | null, details: object | null]> = [
      ['USER_DISABLED', user, { by: admin }],
      ['ROLE_CHANGED', user, { by: admin, from: 'USER', to: 'ADMIN' }],
      ['USER_DELETED', user, { by: user }],
      ['USER_ENABLED', user, { by: '01937a5e-0000-7000-8000-00000000dead' }],
      ['LOGIN_SUCCEEDED', user, null],
      ['PASSWORD_CHANGED', user, null],
      ['ALL_SESSIONS_REVOKED', user, { reason: 'LOGOUT_ALL', count: 2 }],
      ['ALL_SESSIONS_REVOKED', user, { reason: 'USER_DISABLED', count: 1 }],
      ['LOGIN_FAILED', user, { reason: 'wrong_password' }],
      ['LOGIN_FAILED', null, { reason: 'unknown_email' }],
      ['PASSWORD_RESET_REQUESTED', user, null],
      ['REFRESH_TOKEN_REUSED', user, { sessionWasActive: true }],
    ];
    for (const [index, [type, userId, details]] of events.entries()) {
      await session.query(`INSERT INTO security_events (id, type, "userId", details) VALUES ($1, $2, $3, $4::jsonb)`, [
        `01937a5e-0000-7000-9000-${String(index).padStart(12, '0')}`,
        type,
        userId,
        JSON.stringify(details),
      ]);
    }

    const result = await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });

    expect(result.applied[0]).toBe(MIGRATION?.name);
    const rows = await session.query<{ type: string; actorId: string | null; details: unknown }>(
      `SELECT type, "actorId", details FROM security_events ORDER BY id`,
    );
    expect(rows.map((row) => [row.type, row.actorId])).toEqual([
      ['USER_DISABLED', admin],
      ['ROLE_CHANGED', admin],
      ['USER_DELETED', user],
      // An actor whose account is gone is not invented.
      ['USER_ENABLED', null],
      ['LOGIN_SUCCEEDED', user],
      ['PASSWORD_CHANGED', user],
      ['ALL_SESSIONS_REVOKED', user],
      ['ALL_SESSIONS_REVOKED', null],
      ['LOGIN_FAILED', null],
      ['LOGIN_FAILED', null],
      ['PASSWORD_RESET_REQUESTED', null],
      ['REFRESH_TOKEN_REUSED', null],
    ]);
    // The data is kept as it was.
    expect(rows[1]?.details).toEqual({ by: admin, from: 'USER', to: 'ADMIN' });
  });
});
