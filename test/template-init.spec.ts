// `npm run template:init` (tools/template-init.mjs), run on copies of the repository's files in
// a temporary directory; the real repository is only ever run with the current name (a no-op).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT, readProjectIdentity, type AppConfig } from '@app/config';

const REPO = process.cwd();
const SCRIPT = resolve(REPO, 'tools/template-init.mjs');

/**
 * Every file the script rewrites: package.json holds the name and the title, the others record
 * them. The last test checks no other file mentions them.
 */
const FILES = ['package.json', 'package-lock.json', 'openapi.json', 'README.md'] as const;
type RepoFile = (typeof FILES)[number];
type Snapshot = Record<RepoFile, string>;

const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');
const snapshot = (dir: string): Snapshot =>
  Object.fromEntries(FILES.map((file) => [file, read(dir, file)])) as Snapshot;

/** The names the repository has now (the template's, or a team's after its own rename). */
const CURRENT = readProjectIdentity(REPO);
const TARGET =
  CURRENT.name === 'acme-api'
    ? { name: 'acme-billing-api', title: 'Acme Billing API' }
    : { name: 'acme-api', title: 'Acme API' };
const ORIGINAL = snapshot(REPO);

const scratchDirs: string[] = [];
/** A temporary directory holding copies of FILES. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'template-init-'));
  scratchDirs.push(dir);
  for (const file of FILES) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), ORIGINAL[file]);
  }
  return dir;
}

function run(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A renamed file with the new names put back: equal to the original when nothing else changed. */
function withOldNames(text: string, to: { name: string; title: string }): string {
  return text.replaceAll(to.title, CURRENT.title).replaceAll(to.name, CURRENT.name);
}

/** The configuration values named after the project. */
const namedValues = (config: AppConfig): string[] => [
  config.app.name,
  config.auth.jwtIssuer,
  config.auth.jwtAudience,
  config.mail.from,
];

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('template:init', () => {
  let renamed: string;
  let first: ReturnType<typeof run>;
  let afterFirst: Snapshot;
  beforeAll(() => {
    renamed = scratch();
    first = run(renamed, '--name', TARGET.name);
    afterFirst = snapshot(renamed);
  });

  it('renames every file, reports each one, and changes nothing but the names', () => {
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    const unreported = FILES.filter((file) => !first.stdout.includes(file));
    const unchanged = FILES.filter((file) => afterFirst[file] === ORIGINAL[file]);
    const stillOld = FILES.filter(
      (file) => afterFirst[file].includes(CURRENT.name) || afterFirst[file].includes(CURRENT.title),
    );
    const otherChanges = FILES.filter((file) => withOldNames(afterFirst[file], TARGET) !== ORIGINAL[file]);
    expect({ unreported, unchanged, stillOld, otherChanges }).toEqual({
      unreported: [],
      unchanged: [],
      stillOld: [],
      otherChanges: [],
    });
  });

  it('renames the package in package.json (name, displayName) and package-lock.json', () => {
    const pkg = JSON.parse(afterFirst['package.json']) as { name: string; displayName: string };
    const lock = JSON.parse(afterFirst['package-lock.json']) as {
      name: string;
      packages: Record<string, { name?: string }>;
    };
    expect([pkg.name, pkg.displayName, lock.name, lock.packages['']?.name]).toEqual([
      TARGET.name,
      TARGET.title,
      TARGET.name,
      TARGET.name,
    ]);
  });

  it('renames the configuration defaults through package.json alone: APP_NAME (the OpenAPI title), JWT issuer and audience, MAIL_FROM', () => {
    const renamedProject = readProjectIdentity(renamed);
    expect(renamedProject).toEqual(TARGET);
    expect(namedValues(loadConfig({}, renamedProject))).toEqual([
      TARGET.title,
      TARGET.name,
      TARGET.name,
      `${TARGET.title} <no-reply@localhost>`,
    ]);
    // Without an argument, loadConfig uses the package.json the app itself sits under.
    expect(PROJECT).toEqual(CURRENT);
    expect(namedValues(loadConfig({}))).toEqual([
      CURRENT.title,
      CURRENT.name,
      CURRENT.name,
      `${CURRENT.title} <no-reply@localhost>`,
    ]);
  });

  it("leaves docker-compose.yml's names to Compose and the app: no project or image name, empty name variables", () => {
    const compose = parse(read(REPO, 'docker-compose.yml'), { merge: true }) as {
      name?: string;
      services: Record<string, { image?: string; environment?: Record<string, string> }>;
    };
    const env = compose.services.api?.environment ?? {};
    expect({
      name: compose.name,
      api: compose.services.api?.image,
      migrate: compose.services.migrate?.image,
      env: [env.APP_NAME, env.JWT_ISSUER, env.JWT_AUDIENCE, env.MAIL_FROM],
    }).toEqual({
      name: undefined,
      api: undefined,
      migrate: undefined,
      // Empty is unset for loadConfig: the defaults above, from the package.json in the image.
      env: ['${APP_NAME:-}', '${JWT_ISSUER:-}', '${JWT_AUDIENCE:-}', '${MAIL_FROM:-}'],
    });
  });

  it("renames the README's title: its heading and the boot banner's sample", () => {
    const readme = afterFirst['README.md'];
    expect(readme.split('\n')[0]).toBe(`# ${TARGET.title}`);
    expect(readme).toContain(`\n  ${TARGET.title} is ready (development)\n`);
  });

  it("changes only openapi.json's info.title, formatted as `npm run openapi` writes it", () => {
    // The committed spec's title is the app's default APP_NAME: package.json's displayName.
    expect((JSON.parse(ORIGINAL['openapi.json']) as { info: { title: string } }).info.title).toBe(CURRENT.title);
    const spec = JSON.parse(afterFirst['openapi.json']) as { info: { title: string } };
    expect(spec.info.title).toBe(TARGET.title);
    expect(afterFirst['openapi.json']).toBe(`${JSON.stringify(spec, null, 2)}\n`);
    spec.info.title = CURRENT.title;
    expect(spec).toEqual(JSON.parse(ORIGINAL['openapi.json']));
  });

  it('changes nothing when run a second time', () => {
    const second = run(renamed, '--name', TARGET.name);
    expect({ status: second.status, stdout: second.stdout }).toEqual({
      status: 0,
      stdout: expect.stringContaining('nothing to change'),
    });
    expect(snapshot(renamed)).toEqual(afterFirst);
  });

  it('uses --title when given, and renames back byte for byte', () => {
    const dir = scratch();
    const title = 'Acme Platform & Co.';
    expect(run(dir, `--name=${TARGET.name}`, '--title', title).status).toBe(0);
    expect(readProjectIdentity(dir)).toEqual({ name: TARGET.name, title });
    const titled = snapshot(dir);
    expect(JSON.parse(titled['openapi.json']).info.title).toBe(title);
    expect(titled['README.md'].split('\n')[0]).toBe(`# ${title}`);
    expect(loadConfig({}, readProjectIdentity(dir)).mail.from).toBe(`${title} <no-reply@localhost>`);

    expect(run(dir, '--name', CURRENT.name, '--title', CURRENT.title).status).toBe(0);
    expect(snapshot(dir)).toEqual(ORIGINAL);
  });

  it('prints the changes without writing them with --dry-run', () => {
    const dir = scratch();
    const dry = run(dir, '--name', TARGET.name, '--dry-run');
    expect({ status: dry.status, stdout: dry.stdout }).toEqual({
      status: 0,
      stdout: expect.stringContaining('dry run'),
    });
    expect(FILES.filter((file) => !dry.stdout.includes(file))).toEqual([]);
    expect(snapshot(dir)).toEqual(ORIGINAL);
  });

  it.each([
    ['upper case', 'Acme-Api'],
    ['an underscore', 'acme_api'],
    ['a leading hyphen', '-acme'],
    ['a double hyphen', 'acme--api'],
    ['a trailing hyphen', 'acme-'],
    ['a scope', '@acme/api'],
    ['a space', 'acme api'],
    ['nothing in it', ''],
    ['215 characters', 'a'.repeat(215)],
    ['a Node.js core module', 'http'],
  ])('refuses a name with %s (exit 1), changing nothing', (_case, name) => {
    const dir = scratch();
    const result = run(dir, '--name', name);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 1,
      stderr: expect.stringContaining('--name'),
    });
    expect(snapshot(dir)).toEqual(ORIGINAL);
  });

  it('accepts a 214-character name', () => {
    const dir = scratch();
    expect(run(dir, '--name', 'a'.repeat(214), '--title', 'Long').status).toBe(0);
    expect(JSON.parse(read(dir, 'package.json')).name).toBe('a'.repeat(214));
  });

  it.each([
    ['an unknown option', ['--nmae', 'acme-api']],
    ['a positional argument', ['acme-api']],
    ['a missing --name', ['--title', 'Acme API']],
    ['--name without a value', ['--name']],
    ['a repeated --name', ['--name', 'acme-api', '--name', 'acme-web']],
    ['an invalid --title', ['--name', 'acme-api', '--title', 'Acme <API>']],
  ])('refuses %s with the usage message (exit 1), changing nothing', (_case, args) => {
    const dir = scratch();
    const result = run(dir, ...args);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 1,
      stderr: expect.stringContaining('Usage: npm run template:init'),
    });
    expect(snapshot(dir)).toEqual(ORIGINAL);
  });

  it('leaves the real repository untouched: no arguments print the usage, the current name changes nothing', () => {
    const bare = run(REPO);
    expect({ status: bare.status, stderr: bare.stderr }).toEqual({
      status: 1,
      stderr: expect.stringContaining('--name is required'),
    });
    const same = run(REPO, '--name', CURRENT.name);
    expect({ status: same.status, stdout: same.stdout }).toEqual({
      status: 0,
      stdout: expect.stringContaining('nothing to change'),
    });
    expect(snapshot(REPO)).toEqual(ORIGINAL);
  });

  it('knows every file of the repository that mentions the name or the title', () => {
    let listed: string[];
    try {
      listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
        cwd: REPO,
        encoding: 'utf8',
      })
        .split('\0')
        .filter(Boolean);
    } catch {
      return; // not a git checkout: nothing to enumerate
    }
    const mentioning = listed.filter((file) => {
      let text: string;
      try {
        text = read(REPO, file);
      } catch {
        return false; // deleted in the working tree
      }
      return text.includes(CURRENT.name) || text.includes(CURRENT.title);
    });
    // If this fails, derive the value from package.json instead (`PROJECT` in @app/config), or, for a
    // file that must record it, add it to FILES here and to tools/template-init.mjs.
    expect(mentioning.filter((file) => !(FILES as readonly string[]).includes(file)).sort()).toEqual([]);
  });
});
