// `npm run template:init` (scripts/template-init.mjs), run on copies of the repository's files in
// a temporary directory; the real repository is only ever run with the current name (a no-op).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

const REPO = process.cwd();
const SCRIPT = resolve(REPO, 'scripts/template-init.mjs');

/** Every file the script rewrites; the last test checks no other file mentions the names. */
const FILES = [
  'package.json',
  'package-lock.json',
  'libs/config/src/load-config.ts',
  'docker-compose.yml',
  'Dockerfile',
  '.env.example',
  'README.md',
  'openapi.json',
  'test/auth-access-tokens.e2e-spec.ts',
] as const;
type RepoFile = (typeof FILES)[number];
type Snapshot = Record<RepoFile, string>;

const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');
const snapshot = (dir: string): Snapshot =>
  Object.fromEntries(FILES.map((file) => [file, read(dir, file)])) as Snapshot;

/** The names the repository has now (the template's, or a team's after its own rename). */
const CURRENT = {
  name: (JSON.parse(read(REPO, 'package.json')) as { name: string }).name,
  title:
    /\bAPP_NAME:[^\n]*?\.default\('([^']*)'\)/.exec(read(REPO, 'libs/config/src/load-config.ts'))?.[1] ??
    '(no APP_NAME default)',
};
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

/** docker-compose.yml without the project name block the rename adds. */
function withoutProjectName(text: string): string {
  return text.replace(/^# Compose project name:.*\nname: .*\n\n/m, '');
}

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
    const otherChanges = FILES.filter((file) => {
      const restored = withOldNames(afterFirst[file], TARGET);
      return (file === 'docker-compose.yml' ? withoutProjectName(restored) : restored) !== ORIGINAL[file];
    });
    expect({ unreported, unchanged, stillOld, otherChanges }).toEqual({
      unreported: [],
      unchanged: [],
      stillOld: [],
      otherChanges: [],
    });
  });

  it('renames the package in package.json and package-lock.json', () => {
    const pkg = JSON.parse(afterFirst['package.json']) as { name: string };
    const lock = JSON.parse(afterFirst['package-lock.json']) as {
      name: string;
      packages: Record<string, { name?: string }>;
    };
    expect([pkg.name, lock.name, lock.packages['']?.name]).toEqual([TARGET.name, TARGET.name, TARGET.name]);
  });

  it('changes the configuration defaults: APP_NAME (the OpenAPI title), JWT issuer and audience, MAIL_FROM', () => {
    const source = afterFirst['libs/config/src/load-config.ts'];
    const defaultOf = (variable: string): string | undefined =>
      new RegExp(`\\b${variable}:[^\\n]*?\\.default\\('([^']*)'\\)`).exec(source)?.[1];
    expect(['APP_NAME', 'JWT_ISSUER', 'JWT_AUDIENCE', 'MAIL_FROM'].map(defaultOf)).toEqual([
      TARGET.title,
      TARGET.name,
      TARGET.name,
      `${TARGET.title} <no-reply@localhost>`,
    ]);
  });

  it('names the compose project and image and changes the compose defaults', () => {
    const compose = parse(afterFirst['docker-compose.yml']) as {
      name?: string;
      services: Record<string, { image?: string }>;
      'x-app-environment': Record<string, string>;
    };
    const env = compose['x-app-environment'];
    expect({
      name: compose.name,
      api: compose.services.api?.image,
      migrate: compose.services.migrate?.image,
      env: [env.APP_NAME, env.JWT_ISSUER, env.JWT_AUDIENCE, env.MAIL_FROM],
    }).toEqual({
      name: TARGET.name,
      api: `${TARGET.name}:local`,
      migrate: `${TARGET.name}:local`,
      env: [
        `\${APP_NAME:-${TARGET.title}}`,
        `\${JWT_ISSUER:-${TARGET.name}}`,
        `\${JWT_AUDIENCE:-${TARGET.name}}`,
        `\${MAIL_FROM:-${TARGET.title} <no-reply@localhost>}`,
      ],
    });
  });

  it('renames the image in the Dockerfile header, the .env.example defaults and the README title', () => {
    expect(afterFirst.Dockerfile).toContain(`docker build -t ${TARGET.name} .`);
    expect(afterFirst['.env.example']).toEqual(expect.stringContaining(`# APP_NAME=${TARGET.title}\n`));
    expect(afterFirst['.env.example']).toEqual(expect.stringContaining(`# JWT_ISSUER=${TARGET.name}\n`));
    expect(afterFirst['.env.example']).toEqual(expect.stringContaining(`# JWT_AUDIENCE=${TARGET.name}\n`));
    expect(afterFirst['.env.example']).toEqual(
      expect.stringContaining(`# MAIL_FROM=${TARGET.title} <no-reply@localhost>\n`),
    );
    expect(afterFirst['README.md'].split('\n')[0]).toBe(`# ${TARGET.title}`);
  });

  it("changes only openapi.json's info.title, formatted as `npm run openapi` writes it", () => {
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

  it('uses --title when given, and renames back byte for byte apart from the compose project name', () => {
    const dir = scratch();
    const title = 'Acme Platform & Co.';
    expect(run(dir, `--name=${TARGET.name}`, '--title', title).status).toBe(0);
    const titled = snapshot(dir);
    expect(JSON.parse(titled['openapi.json']).info.title).toBe(title);
    expect(titled['README.md'].split('\n')[0]).toBe(`# ${title}`);
    expect(titled['libs/config/src/load-config.ts']).toContain(`.default('${title} <no-reply@localhost>')`);

    expect(run(dir, '--name', CURRENT.name, '--title', CURRENT.title).status).toBe(0);
    const back = snapshot(dir);
    const differing = FILES.filter((file) =>
      file === 'docker-compose.yml' ? withoutProjectName(back[file]) !== ORIGINAL[file] : back[file] !== ORIGINAL[file],
    );
    expect(differing).toEqual([]);
    expect(parse(back['docker-compose.yml']).name).toBe(CURRENT.name);
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
    // Add the file to FILES here and a rule to scripts/template-init.mjs if this fails.
    expect(mentioning.filter((file) => !(FILES as readonly string[]).includes(file)).sort()).toEqual([]);
  });
});
