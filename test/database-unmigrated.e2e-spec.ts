import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, defaultMigrationsDir, openPgSession, readMigrationFiles } from '@app/database';
import { registerAndLogin, strongPassword, uniqueEmail } from './utils/auth.js';
import { freePort, startServer, STOPPED_BY_SIGTERM } from './utils/built-app.js';
import { OpenApiConformance } from './utils/openapi-conformance.js';
import { privateDatabase } from './utils/private-database-app.js';
import { PrivatePostgres } from './utils/private-postgres.js';
import { expectProblem } from './utils/problem.js';
import { createTestApp, testEnv } from './utils/test-app.js';

const DATABASE_NOT_MIGRATED = {
  type: 'urn:problem-type:database-not-migrated',
  title: 'Service Unavailable',
  status: 503,
  detail: 'The database schema is not up to date (npm run db:migrate).',
  code: 'DATABASE_NOT_MIGRATED',
};

const MIGRATIONS = readMigrationFiles(defaultMigrationsDir()).map((file) => file.name);

const spec = new OpenApiConformance();

describe('an unmigrated database (e2e, private PostgreSQL)', () => {
  let cluster: PrivatePostgres;

  beforeAll(async () => {
    cluster = await PrivatePostgres.create();
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  it('is not ready: readiness names the pending migrations and the command, routes answer 503, and migrating needs no restart', async () => {
    const url = await cluster.createDatabase('fresh', { migrated: false });
    const t = await createTestApp({ database: privateDatabase(url) });
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'error',
        error: {
          database: {
            status: 'down',
            pendingMigrations: MIGRATIONS,
            message: 'Migrations are pending: run `npm run db:migrate` to apply them.',
          },
        },
      });
      expect(spec.problems('GET /health/ready', ready)).toEqual([]);

      const register = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/register',
        payload: { email: uniqueEmail(), password: strongPassword(), name: 'Early' },
      });
      expectProblem(register, DATABASE_NOT_MIGRATED, '/v1/auth/register');
      expect(register.headers['retry-after']).toBe('30');
      expect(spec.problems('POST /v1/auth/register', register)).toEqual([]);

      const session = await openPgSession(url);
      try {
        await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });
      } finally {
        await session.close();
      }
      expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      await expect(registerAndLogin(t.app)).resolves.toMatchObject({ email: expect.any(String) });
    } finally {
      await t.close();
    }
  });

  it('npm start logs the pending migrations and the command in one line, and reports not ready', async () => {
    const url = await cluster.createDatabase('fresh_boot', { migrated: false });
    const env = testEnv(privateDatabase(url), 'test:boot', { LOG_LEVEL: 'info' });
    const server = await startServer(env, await freePort());
    try {
      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.includes('npm run db:migrate'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        level: 50,
        msg: `The database lacks ${MIGRATIONS.length} migrations of this build (${MIGRATIONS.join(', ')}): run \`npm run db:migrate\` to apply them; /health/ready answers 503 until then.`,
      });
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
    } finally {
      server.child.kill('SIGTERM');
      await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    }
  });
});
