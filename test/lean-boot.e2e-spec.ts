import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STOPPED_BY_SIGTERM, assertBuilt, freePort, startServer } from './utils/built-app.js';
import { createTestDatabase, embeddedDatabase, usingPostgres, type TestDatabase } from './utils/test-database.js';
import { testEnv } from './utils/test-app.js';

const RECORDER = path.resolve('test/utils/module-recorder.mjs');

/** Packages that only some configurations use, and what selects them. */
const OPTIONAL = {
  pglite: /\/node_modules\/(@electric-sql\/pglite|pglite-prisma-adapter)\//,
  schemaEngine: /\/node_modules\/@prisma\/schema-engine-wasm\//,
  stripe: /\/node_modules\/stripe\//,
  nodemailer: /\/node_modules\/nodemailer\//,
  docsUi: /\/node_modules\/(swagger-ui-dist|@fastify\/static)\//,
};

/**
 * Boots the built server (`node dist/api/main.mjs`) with a module recorder, waits until it is ready,
 * stops it, and returns the URL of every module it loaded.
 */
async function modulesLoadedBy(database: TestDatabase, env: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lean-boot-'));
  const file = path.join(dir, 'modules.txt');
  try {
    const server = await startServer(
      { ...testEnv(database, 'test:lean-boot', env), MODULE_RECORD_FILE: file },
      await freePort(),
      { readyWhen: 'healthy', nodeArgs: ['--import', RECORDER] },
    );
    server.child.kill('SIGTERM');
    await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    return [...new Set((await readFile(file, 'utf8')).split('\n').filter(Boolean))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const loaded = (modules: string[], pattern: RegExp) => modules.filter((url) => pattern.test(url));

/** The built server loads what its configuration uses, and nothing that it does not. */
describe('a lean boot (e2e, the built server)', () => {
  beforeAll(() => assertBuilt());

  describe('on PostgreSQL, with no Stripe keys, no SMTP_URL and the docs off', () => {
    let database: TestDatabase;
    let modules: string[];

    beforeAll(async () => {
      if (!usingPostgres()) return;
      database = await createTestDatabase();
      modules = await modulesLoadedBy(database, { DOCS_ENABLED: 'false' });
    }, 60_000);

    afterAll(async () => {
      await database?.drop();
    });

    it.skipIf(!usingPostgres())('loads neither PGlite, nor Stripe, nor nodemailer, nor the docs UI', () => {
      // The recorder works: it saw the PostgreSQL driver, CommonJS (pg) and ESM (adapter-pg) alike.
      expect(loaded(modules, /\/node_modules\/pg\/lib\/index\.js$/)).toHaveLength(1);
      expect(loaded(modules, /\/node_modules\/@prisma\/adapter-pg\//).length).toBeGreaterThan(0);
      for (const pattern of Object.values(OPTIONAL)) expect(loaded(modules, pattern)).toEqual([]);
    });
  });

  it('loads each of them, at boot, once its configuration selects it (and never the schema engine)', async () => {
    const modules = await modulesLoadedBy(embeddedDatabase(), {
      STRIPE_SECRET_KEY: 'sk_test_leanboot',
      STRIPE_WEBHOOK_SECRET: 'whsec_leanboot',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      DOCS_ENABLED: 'true',
    });
    const { schemaEngine, ...selected } = OPTIONAL;
    for (const pattern of Object.values(selected)) expect(loaded(modules, pattern).length).toBeGreaterThan(0);
    // Prisma's migration engine is for `npm run db:migration` only; the embedded database migrates without it.
    expect(loaded(modules, schemaEngine)).toEqual([]);
  }, 60_000);
});
