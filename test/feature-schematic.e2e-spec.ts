import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations } from '../libs/database/src/migrations/migration-runner.js';
import { openPgSession } from '../libs/database/src/sql-session.js';
import { databaseUrl, quoteIdent, withAdminClient } from './setup/test-env.js';

/**
 * `nest g feature gadget` in a copy of the repository, then the user's documented steps
 * (db:generate, db:migration), a build, a type-check and the generated tests: no hand edits.
 */
const ROOT = process.cwd();
const NOT_COPIED = new Set(['node_modules', 'dist', '.data', '.git', 'coverage']);
/** Set by this run's global setup and by Vitest; the copy's own Vitest sets its own. */
const PARENT_RUN_ENV = ['TEST_DB_MODE', 'TEST_RUN_ID', 'TEST_REDIS_MODE', 'TEST_TEMPLATE_DATABASE'];

interface RunResult {
  code: number | null;
  output: string;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: options.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // The CLI colours its output whatever the environment says: strip the ANSI colour codes.
      // eslint-disable-next-line no-control-regex
      resolve({ code, output: output.replace(/\u001b\[[0-9;]*m/g, '') });
    });
  });
}

/** Runs and fails with the command's output when it exits non-zero. */
async function runOk(
  command: string,
  args: string[],
  cwd: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const result = await run(command, args, cwd, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}:\n${result.output}`);
  return result.output;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (PARENT_RUN_ENV.includes(name) || name.startsWith('VITEST')) delete env[name];
  return env;
}

function copyRepository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'feature-schematic-'));
  for (const entry of readdirSync(ROOT)) {
    if (NOT_COPIED.has(entry)) continue;
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What the generator writes for a feature: every file under its templates, names filled in. */
function templateFiles(singular: string, plural: string): string[] {
  const root = path.join(ROOT, 'schematics/feature/files');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.template'))
    .map((file) =>
      file
        .split(path.sep)
        .join('/')
        .replaceAll('__plural__', plural)
        .replaceAll('__singular__', singular)
        .replace(/\.template$/, ''),
    )
    .sort();
}

describe('nest g feature (schematic)', () => {
  let copy: string;
  /** The template database the copy's Vitest clones; built here so its global setup does not rebuild templates. */
  let copyTemplate: string | undefined;

  beforeAll(() => {
    copy = copyRepository();
  });

  afterAll(async () => {
    if (copyTemplate) {
      const name = copyTemplate;
      await withAdminClient((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    }
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  const read = (file: string) => readFileSync(path.join(copy, file), 'utf8');

  it('lists the files with --dry-run and writes nothing', async () => {
    const before = { appModule: read('apps/api/src/app.module.ts'), schema: read('prisma/schema.prisma') };

    const output = await runOk('npx', ['nest', 'g', 'feature', 'gadget', '--dry-run'], copy);

    const files = templateFiles('gadget', 'gadgets');
    expect(files).toEqual(
      expect.arrayContaining(['apps/api/src/gadgets/gadgets.module.ts', 'test/gadgets.e2e-spec.ts']),
    );
    for (const file of files) expect(output).toContain(`CREATE ${file}`);
    expect(output).toContain('UPDATE apps/api/src/app.module.ts');
    expect(output).toContain('UPDATE prisma/schema.prisma');
    expect(existsSync(path.join(copy, 'apps/api/src/gadgets'))).toBe(false);
    expect(existsSync(path.join(copy, 'test/gadgets.e2e-spec.ts'))).toBe(false);
    expect({ appModule: read('apps/api/src/app.module.ts'), schema: read('prisma/schema.prisma') }).toEqual(before);
  }, 60_000);

  it('keeps the stock schematics (nest g resource) available', async () => {
    const output = await runOk(
      'npx',
      ['nest', 'g', 'resource', 'thing', '--type', 'rest', '--crud', '--dry-run'],
      copy,
    );

    expect(output).toContain('CREATE apps/api/src/thing/thing.controller.ts');
    expect(existsSync(path.join(copy, 'apps/api/src/thing'))).toBe(false);
  }, 60_000);

  it('generates a feature that builds, type-checks, passes the spec lint and its own tests after the documented steps', async () => {
    await runOk('npx', ['nest', 'g', 'feature', 'gadget'], copy);

    expect(read('apps/api/src/app.module.ts')).toContain(
      "import { GadgetsModule } from './gadgets/gadgets.module.js';",
    );
    expect(read('apps/api/src/app.module.ts')).toMatch(/imports: \[[^\]]*\bGadgetsModule,/);
    const schema = read('prisma/schema.prisma');
    expect(schema).toMatch(/^model Gadget \{[^}]*@@index\(\[ownerId, createdAt, id\]\)[^}]*@@map\("gadgets"\)/m);
    expect(schema).toMatch(/^model User \{[^}]*\n\s+gadgets\s+Gadget\[\]/m);
    expect(read('apps/api/src/core/openapi/tags.ts')).toContain(`gadgets: "The caller's gadgets",`);

    await runOk('npm', ['run', 'db:generate'], copy);
    await runOk('npm', ['run', 'db:migration', '--', 'add_gadgets'], copy);
    expect(readdirSync(path.join(copy, 'prisma/migrations')).some((name) => name.endsWith('_add_gadgets'))).toBe(true);

    // The spec and the client follow the code: `npm run openapi` builds and rewrites openapi.json.
    await runOk('npm', ['run', 'openapi'], copy);
    await runOk('npm', ['run', 'client'], copy);
    const spec = JSON.parse(read('openapi.json')) as { paths: Record<string, unknown>; tags: Array<{ name: string }> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/gadgets', '/v1/gadgets/{id}']));
    expect(spec.tags.map((tag) => tag.name)).toContain('gadgets');

    // The last three steps read the copy and write nothing it shares, so they run side by side.
    const [, , tests] = await Promise.all([
      runOk('npm', ['run', 'typecheck'], copy),
      // Spectral (recommended + OWASP) passes on the generated routes without a new exception.
      runOk('npm', ['run', 'lint:openapi'], copy),
      (async () => {
        if (process.env.TEST_DB_MODE === 'postgres') copyTemplate = await buildCopyTemplate(copy);
        return run(
          'npx',
          [
            'vitest',
            'run',
            // One worker: the files are few, and each worker would load the whole app again.
            '--maxWorkers=1',
            'apps/api/src/gadgets',
            'test/gadgets.e2e-spec.ts',
            'test/openapi.e2e-spec.ts',
            'libs/api-client/src/schema.spec.ts',
            // The suites that walk every operation of openapi.json (secrets, malformed input, rate limits) cover the new routes with no edit.
            'test/no-secrets.e2e-spec.ts',
            'test/malformed-input.e2e-spec.ts',
            'test/rate-limit.e2e-spec.ts',
          ],
          copy,
          // The walks visit the generated routes only: this run has walked every other one.
          { timeoutMs: 240_000, env: { ...childEnv(), TEST_WALK_PATHS: '/v1/gadgets' } },
        );
      })(),
    ]);
    if (tests.code !== 0) throw new Error(`the generated tests failed:\n${tests.output}`);
    expect(tests.output).toMatch(/Test Files +7 passed \(7\)/);
  }, 420_000);
});

/**
 * The copy's migrations differ from ours, so its Vitest would build a new template database and, in doing
 * so, drop the other templates, ours included, while this run still clones from it. Building the copy's
 * template first (named by the copy's own `templateDatabaseName()`) makes its global setup reuse it.
 */
async function buildCopyTemplate(copy: string): Promise<string> {
  const name = (
    await runOk(
      'node',
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "console.log((await import('./test/setup/test-env.ts')).templateDatabaseName())",
      ],
      copy,
    )
  ).trim();
  if (!/^nest_starter_test_template_[0-9a-f]+$/.test(name)) throw new Error(`unexpected template name: ${name}`);
  const building = `${name}_building_${process.pid}`;
  await withAdminClient(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(building)}`);
  });
  const session = await openPgSession(databaseUrl(building));
  try {
    await applyMigrations(session, { migrationsDir: path.join(copy, 'prisma', 'migrations') });
  } finally {
    await session.close();
  }
  await withAdminClient(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    await admin.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`);
  });
  return name;
}
