// Static checks of the container image: the Dockerfile and .dockerignore. No Docker engine is needed.
//
// Most assertions collect human-readable problems and expect that list to be empty, so a
// failure names every offending instruction or path at once.
import { describe, expect, it } from 'vitest';
import { repoFile } from './utils/deployment-files.js';

/** The production entry: the bundle `npm run build` writes (tools/bundle.mjs). */
const MAIN_JS = 'dist/api/main.mjs';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  index: number;
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let pendingLine = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    // Comment lines (parser directives included) may even sit inside a continued instruction.
    if (line.startsWith('#') || (line === '' && pending === '')) return;
    if (pending === '') pendingLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    pending += line;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.trim());
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: pendingLine });
    pending = '';
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        index: stages.length,
        base: words[0] ?? '',
        name: as === -1 ? undefined : words[as + 1],
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const dockerfileStages = parseDockerfile(repoFile('Dockerfile'));
const finalStage = dockerfileStages.at(-1);

/** A stage and the stages it is built `FROM`, innermost last: what its image inherits. */
function stageChain(stage: Stage | undefined): Stage[] {
  const chain: Stage[] = [];
  for (let current = stage; current;) {
    chain.unshift(current);
    const base = current.base;
    current = dockerfileStages.find((candidate) => candidate.index < chain[0].index && candidate.name === base);
  }
  return chain;
}
const finalInstructions = stageChain(finalStage).flatMap((stage) => stage.instructions);
const lastOf = (keyword: string): Instruction | undefined =>
  finalInstructions.filter((i) => i.keyword === keyword).at(-1);

const PRODUCTION_INSTALL = /\bnpm\s+(ci|install|i)\b[^&;|]*(--omit[= ]dev|--only[= ]prod(uction)?|--production)\b/;

/** Source paths of a COPY/ADD (flags and the destination dropped). */
function copySources(instruction: Instruction): { from: string | undefined; sources: string[] } {
  let args = instruction.args;
  let words: string[];
  if (args.startsWith('[')) {
    words = JSON.parse(args) as string[];
  } else {
    const flags = /^((--\S+\s+)*)/.exec(args)?.[1] ?? '';
    args = args.slice(flags.length);
    words = [...flags.split(/\s+/).filter(Boolean), ...args.split(/\s+/)];
  }
  const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((word) => !word.startsWith('--'));
  return {
    from,
    sources: paths.slice(0, -1).map((source) => source.replace(/^(\.\/|\/app\/)/, '').replace(/\/+$/, '')),
  };
}

/** Whether the final image gets `path` (or a parent directory of it) through COPY/ADD. */
function finalImageCopies(path: string): boolean {
  return finalInstructions
    .filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD')
    .some((instruction) =>
      copySources(instruction).sources.some((source) => source === path || path.startsWith(`${source}/`)),
    );
}

describe('Dockerfile', () => {
  it('is a multi-stage build', () => {
    expect(dockerfileStages.length).toBeGreaterThanOrEqual(2);
  });

  it('runs the final image as a non-root user', () => {
    const user = lastOf('USER')?.args.split(':')[0];
    expect(user ?? 'no USER instruction (the image would run as root)').not.toMatch(/^(root|0|no USER.*)$/);
  });

  it('installs only production dependencies in the final image', () => {
    const installsProdOnly = (stage: Stage): boolean =>
      stageChain(stage).some((s) => s.instructions.some((i) => i.keyword === 'RUN' && PRODUCTION_INSTALL.test(i.args)));
    const nodeModulesFrom = finalInstructions
      .filter((i) => i.keyword === 'COPY' && copySources(i).sources.some((source) => source.endsWith('node_modules')))
      .map((i) => copySources(i).from);
    const fromStages = nodeModulesFrom.map((from) =>
      dockerfileStages.find((s) => s.name === from || String(s.index) === from),
    );
    const ok =
      nodeModulesFrom.length === 0
        ? finalStage !== undefined && installsProdOnly(finalStage)
        : fromStages.every((stage) => stage !== undefined && installsProdOnly(stage));
    expect(ok ? 'production-only install' : 'no `npm ci --omit=dev` (or equivalent) for the final image').toBe(
      'production-only install',
    );
  });

  it('runs in production mode', () => {
    const env = finalInstructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env.some((args) => /\bNODE_ENV[= ]"?production"?/.test(args)) ? 'NODE_ENV=production' : env).toBe(
      'NODE_ENV=production',
    );
  });

  it("keeps glibc's mmap threshold fixed, so freed large blocks go back to the system", () => {
    const env = finalInstructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env).toContain('MALLOC_MMAP_THRESHOLD_=131072');
  });

  it('exposes port 3000', () => {
    const ports = finalInstructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports.map((port) => port.replace(/\/tcp$/, ''))).toContain('3000');
  });

  it('has a HEALTHCHECK on /health/live', () => {
    expect(lastOf('HEALTHCHECK')?.args ?? 'no HEALTHCHECK').toContain('/health/live');
  });

  it(`starts the server with ${MAIN_JS}`, () => {
    const cmd = lastOf('CMD')?.args ?? 'no CMD';
    const words = cmd.startsWith('[') ? (JSON.parse(cmd) as string[]) : cmd.split(/\s+/);
    expect(words).toContain(MAIN_JS);
  });

  it("copies the migrations and the seed data the CLIs read, and package.json (the project's names), into the final image", () => {
    const missing = ['prisma/migrations', 'prisma/seed/plans.json', 'package.json'].filter(
      (path) => !finalImageCopies(path),
    );
    expect(missing.map((path) => `${path} is not copied into the final stage`)).toEqual([]);
  });
});

describe('.dockerignore', () => {
  it('keeps local state and secrets out of the build context', () => {
    const ignored = new Set(
      repoFile('.dockerignore')
        .split(/\r?\n/)
        .map((line) => line.trim().replace(/^\/|\/$/g, ''))
        .filter((line) => line && !line.startsWith('#')),
    );
    expect(
      ['node_modules', 'dist', '.data', '.env', '.git', 'coverage'].filter((entry) => !ignored.has(entry)),
    ).toEqual([]);
  });

  it('leaves the developer tooling out, except the bundler that `npm run build` runs', () => {
    const lines = repoFile('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const build = (JSON.parse(repoFile('package.json')) as { scripts: Record<string, string> }).scripts.build;

    expect(build).toContain('node tools/bundle.mjs');
    // An exception re-includes a file only under a pattern that excludes the folder's entries.
    expect(lines).toEqual(expect.arrayContaining(['tools/*', '!tools/bundle.mjs']));
    expect(lines.indexOf('!tools/bundle.mjs')).toBeGreaterThan(lines.indexOf('tools/*'));
    expect(lines).not.toContain('tools');
  });
});
