import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { diffMigrationsToSchema, SchemaEngineError } from './schema-diff.js';

// Each diff boots an in-memory PGlite (its initdb alone takes 1.5-2.5 s) and the WASM engine.
const ENGINE_TIMEOUT_MS = 60_000;

// Vitest runs from the repository root.
const prismaDir = path.resolve(process.cwd(), 'prisma');

describe('diffMigrationsToSchema', () => {
  let workDir: string;
  let schemaPath: string;
  let migrationsDir: string;
  let committedSchema: string;

  beforeAll(async () => {
    // A private copy, so that editing the schema never touches the real one.
    workDir = await mkdtemp(path.join(os.tmpdir(), 'schema-diff-'));
    schemaPath = path.join(workDir, 'schema.prisma');
    migrationsDir = path.join(workDir, 'migrations');
    await cp(path.join(prismaDir, 'schema.prisma'), schemaPath);
    await cp(path.join(prismaDir, 'migrations'), migrationsDir, { recursive: true });
    committedSchema = await readFile(schemaPath, 'utf8');
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it(
    'finds nothing to do when the committed migrations match the schema',
    async () => {
      await expect(diffMigrationsToSchema({ schemaPath, migrationsDir })).resolves.toBe('');
    },
    ENGINE_TIMEOUT_MS,
  );

  it(
    'emits ALTER TABLE ... ADD COLUMN for a field added to a model',
    async () => {
      const edited = committedSchema.replace('  @@map("plans")', '  description     String?\n\n  @@map("plans")');
      expect(edited).not.toBe(committedSchema);
      await writeFile(schemaPath, edited);

      const sql = await diffMigrationsToSchema({ schemaPath, migrationsDir });

      expect(sql).toMatch(/^-- AlterTable\nALTER TABLE "plans" ADD COLUMN\s+"description" TEXT;\n$/);
    },
    ENGINE_TIMEOUT_MS,
  );

  it(
    'rejects an invalid schema with the engine validation error',
    async () => {
      await writeFile(schemaPath, committedSchema.replace('  priceCents      Int', '  priceCents      Integer'));

      const failure = diffMigrationsToSchema({ schemaPath, migrationsDir });

      await expect(failure).rejects.toBeInstanceOf(SchemaEngineError);
      await expect(failure).rejects.toMatchObject({
        code: 'P1012',
        message: expect.stringContaining('Type "Integer" is neither a built-in type'),
      });
    },
    ENGINE_TIMEOUT_MS,
  );
});
