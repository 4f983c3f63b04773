// Static checks of the container setup: docker-compose.yml, Dockerfile, .dockerignore and
// .env.example, against the app's configuration (libs/config). No Docker engine is needed.
//
// Most assertions collect human-readable problems and expect that list to be empty, so a
// failure names every offending variable, service or instruction at once.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, ConfigValidationError, loadConfig, type AppConfig } from '@app/config';

/**
 * Variables that docker-compose.yml may reference although the app never reads them. They
 * configure the `postgres` service and must be documented in the "docker-compose only"
 * section of .env.example, which must list exactly these.
 */
const COMPOSE_ONLY_VARIABLES = ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'] as const;
/** The heading (matched case-insensitively) that opens that section of .env.example. */
const COMPOSE_ONLY_MARKER = /docker-compose only/i;

const MAIN_JS = 'dist/apps/api/apps/api/src/main.js';
const MIGRATE_JS = 'dist/apps/api/libs/database/src/cli/migrate.js';
const SEED_JS = 'dist/apps/api/apps/api/src/cli/seed.js';
/** A stand-in for the JWT_SECRET that compose requires from the operator. */
const DUMMY_JWT_SECRET = 'compose-spec-dummy-secret-Q8vTz3LmK7pWx2Nr9BfJ6hYd4Gs1';

const repoFile = (name: string): string => readFileSync(resolve(process.cwd(), name), 'utf8');
const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

// ------------------------------------------------------------------------------------------
// Compose variable interpolation (the Compose specification's rules)
// ------------------------------------------------------------------------------------------

interface VariableReference {
  name: string;
  /** '' for `${VAR}` and `$VAR`; otherwise one of :- - :? ? :+ + */
  operator: string;
  argument: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Walks `text`, replacing every `${...}` / `$VAR` with `resolve(reference)`; `$$` is a literal `$`.
 * Braces nest, so `${A:-${B}}` is one reference whose argument holds another.
 */
function walk(text: string, resolveReference: (reference: VariableReference) => string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      let depth = 1;
      let end = i + 2;
      for (; end < text.length && depth > 0; end += 1) {
        if (text[end] === '{') depth += 1;
        else if (text[end] === '}') depth -= 1;
      }
      if (depth !== 0) throw new Error(`Unterminated variable reference in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, end - 1);
      const name = NAME.exec(body)?.[0];
      if (!name) throw new Error(`Invalid variable reference \${${body}} in ${JSON.stringify(text)}`);
      const rest = body.slice(name.length);
      const operator = /^(:-|-|:\?|\?|:\+|\+)?/.exec(rest)?.[0] ?? '';
      if (operator === '' && rest !== '') {
        throw new Error(`Invalid variable reference \${${body}} in ${JSON.stringify(text)}`);
      }
      out += resolveReference({ name, operator, argument: rest.slice(operator.length) });
      i = end;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (name) {
        out += resolveReference({ name, operator: '', argument: '' });
        i += 1 + name.length;
      } else {
        out += '$';
        i += 1;
      }
    }
  }
  return out;
}

/** Every variable named in `text`, including those nested in defaults. */
function referencedVariables(text: string): string[] {
  const names: string[] = [];
  walk(text, ({ name, argument }) => {
    names.push(name, ...referencedVariables(argument));
    return '';
  });
  return names;
}

/** Substitutes variables as `docker compose` does, from `env` only (never process.env). */
function interpolate(text: string, env: Record<string, string>): string {
  return walk(text, ({ name, operator, argument }) => {
    const value = env[name];
    const isSet = value !== undefined;
    const isNonEmpty = isSet && value !== '';
    switch (operator) {
      case ':-':
        return isNonEmpty ? value : interpolate(argument, env);
      case '-':
        return isSet ? value : interpolate(argument, env);
      case ':?':
      case '?':
        if (operator === ':?' ? isNonEmpty : isSet) return value;
        throw new Error(`required variable ${name} is missing a value: ${interpolate(argument, env)}`);
      case ':+':
        return isNonEmpty ? interpolate(argument, env) : '';
      case '+':
        return isSet ? interpolate(argument, env) : '';
      default:
        return value ?? '';
    }
  });
}

/** Every string (keys included) of a parsed YAML document: what compose interpolates. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node !== null && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) => [key, ...strings(value)]);
  }
  return [];
}

// ------------------------------------------------------------------------------------------
// Compose file model
// ------------------------------------------------------------------------------------------

type Service = Record<string, unknown>;
interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(repoFile('docker-compose.yml'), { merge: true }) as ComposeFile;
const services: Record<string, Service> = compose.services ?? {};
const service = (name: string): Service => services[name] ?? {};

/** A service's `environment` as raw (uninterpolated) strings; `KEY` without a value is undefined. */
function rawEnvironment(svc: Service): Record<string, string | undefined> {
  const environment = svc.environment;
  if (environment === undefined || environment === null) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const text = String(entry);
        const at = text.indexOf('=');
        return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment as Record<string, unknown>).map(([key, value]) => [
      key,
      value === null || value === undefined ? undefined : String(value),
    ]),
  );
}

/** The environment the container would get, with compose defaults and the given variables. */
function containerEnvironment(svc: Service, variables: Record<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(rawEnvironment(svc)).map(([key, value]) => [
      key,
      value === undefined ? undefined : interpolate(value, variables),
    ]),
  );
}

/** `test:` of a healthcheck as one string, or undefined when there is none or it is disabled. */
function healthcheckCommand(svc: Service): string | undefined {
  const healthcheck = svc.healthcheck as { test?: unknown; disable?: boolean } | undefined;
  if (!healthcheck || healthcheck.disable === true || healthcheck.test === undefined) return undefined;
  const test = Array.isArray(healthcheck.test) ? healthcheck.test.map(String) : [String(healthcheck.test)];
  if (test[0] === 'NONE') return undefined;
  return test.join(' ');
}

/** `depends_on` as `{ service: condition }`; the short (list) syntax means service_started. */
function dependencies(svc: Service): Record<string, string> {
  const dependsOn = svc.depends_on;
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [String(name), 'service_started']));
  if (dependsOn === null || typeof dependsOn !== 'object') return {};
  return Object.fromEntries(
    Object.entries(dependsOn as Record<string, { condition?: string } | null>).map(([name, spec]) => [
      name,
      spec?.condition ?? 'service_started',
    ]),
  );
}

/** Container ports a service publishes (short `[ip:]host:container[/proto]` or long syntax). */
function publishedContainerPorts(svc: Service): number[] {
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  return ports.flatMap((entry: unknown) => {
    if (typeof entry === 'object' && entry !== null) return [Number((entry as { target?: unknown }).target)];
    // Interpolate first: `${PORT:-3000}:3000` holds a colon inside the reference.
    const text = interpolate(String(entry), {}).replace(/\/(tcp|udp)$/, '');
    const container = text.split(':').at(-1) ?? '';
    if (container.includes('-')) {
      const [from, to] = container.split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, k) => from + k);
    }
    return [Number(container)];
  });
}

/** Named volumes a service mounts (short `source:target[:mode]` or long syntax). */
function mountedVolumeSources(svc: Service): string[] {
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  return volumes.flatMap((entry: unknown) => {
    if (typeof entry === 'object' && entry !== null) {
      const { type, source } = entry as { type?: string; source?: string };
      return type === 'volume' && source ? [source] : [];
    }
    const [source] = String(entry).split(':');
    return source && !/^[./~]/.test(source) ? [source] : [];
  });
}

/** The problems loadConfig reports, or [] when it accepts the environment. */
function configProblems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
}

// ------------------------------------------------------------------------------------------
// .env.example model
// ------------------------------------------------------------------------------------------

interface EnvExampleEntry {
  name: string;
  line: number;
  commented: boolean;
  value: string;
  composeOnly: boolean;
}

const envExampleLines = repoFile('.env.example').split(/\r?\n/);
const composeOnlyStart = envExampleLines.findIndex(
  (line) => line.trimStart().startsWith('#') && COMPOSE_ONLY_MARKER.test(line),
);
/** Every `VAR=` or `# VAR=` line. */
const envExampleEntries: EnvExampleEntry[] = envExampleLines.flatMap((text, index) => {
  const match = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(text);
  if (!match) return [];
  return [
    {
      name: match[2],
      line: index + 1,
      commented: match[1] !== undefined,
      value: match[3].trim(),
      composeOnly: composeOnlyStart !== -1 && index > composeOnlyStart,
    },
  ];
});

// ------------------------------------------------------------------------------------------
// Dockerfile model
// ------------------------------------------------------------------------------------------

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

// ==========================================================================================

describe('docker-compose.yml', () => {
  const api = service('api');
  const migrate = service('migrate');
  const postgres = service('postgres');
  const redis = service('redis');

  it('defines the postgres, redis, migrate and api services', () => {
    const missing = ['postgres', 'redis', 'migrate', 'api'].filter((name) => !(name in services));
    expect(missing.map((name) => `service "${name}" is missing`)).toEqual([]);
  });

  it('publishes the api container port 3000', () => {
    expect(publishedContainerPorts(api)).toContain(3000);
  });

  it('checks api readiness on /health/ready', () => {
    expect(healthcheckCommand(api) ?? 'api has no (enabled) healthcheck').toContain('/health/ready');
  });

  it('has healthchecks on postgres (pg_isready) and redis (redis-cli ping)', () => {
    expect({
      postgres: healthcheckCommand(postgres) ?? 'no healthcheck',
      redis: healthcheckCommand(redis) ?? 'no healthcheck',
    }).toEqual({
      postgres: expect.stringContaining('pg_isready'),
      redis: expect.stringMatching(/redis-cli.*ping/),
    });
  });

  it('starts the api once postgres and redis are healthy and migrate has completed', () => {
    expect(dependencies(api)).toMatchObject({
      postgres: 'service_healthy',
      redis: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
  });

  it('runs migrate once postgres is healthy: the compiled migrate CLI, then the seed CLI, from the api image', () => {
    expect(dependencies(migrate)).toMatchObject({ postgres: 'service_healthy' });
    const command = [migrate.entrypoint, migrate.command]
      .flat()
      .filter((part) => part != null)
      .join(' ');
    const migrateAt = command.indexOf(MIGRATE_JS);
    const seedAt = command.indexOf(SEED_JS);
    expect({ migrateAt: migrateAt >= 0, seedAt: seedAt >= 0, migrateFirst: migrateAt < seedAt, command }).toEqual({
      migrateAt: true,
      seedAt: true,
      migrateFirst: true,
      command,
    });
    // Built as the api is: the same Dockerfile, and no image name (Compose names it after the project).
    expect({ build: migrate.build, image: migrate.image }).toEqual({ build: api.build, image: api.image });
    expect(api.build).toBeDefined();
    expect(migrate.restart ?? 'no').toBe('no');
  });

  it('keeps postgres data in the named volume postgres-data', () => {
    expect(Object.keys(compose.volumes ?? {})).toContain('postgres-data');
    expect(mountedVolumeSources(postgres)).toContain('postgres-data');
  });

  it('references only configuration variables and the documented compose-only ones', () => {
    const allowed = new Set<string>([...CONFIG_VARIABLES, ...COMPOSE_ONLY_VARIABLES]);
    const unknown = sorted(strings(compose).flatMap(referencedVariables)).filter((name) => !allowed.has(name));
    expect(
      unknown.map(
        (name) =>
          `\${${name}} is neither in CONFIG_VARIABLES nor in COMPOSE_ONLY_VARIABLES (document it in .env.example)`,
      ),
    ).toEqual([]);
  });

  it('sets only configuration variables in the app containers', () => {
    const config = new Set(CONFIG_VARIABLES);
    const unknown = ['api', 'migrate'].flatMap((name) =>
      Object.keys(rawEnvironment(service(name)))
        .filter((key) => !config.has(key))
        .map((key) => `${name}.environment.${key} is not read by the app (not in CONFIG_VARIABLES)`),
    );
    expect(unknown).toEqual([]);
  });

  it('requires JWT_SECRET from the operator instead of defaulting it', () => {
    const missingSecret = (): unknown => containerEnvironment(api, {});
    expect(missingSecret).toThrow(/required variable JWT_SECRET/);
  });

  it('provides every variable the configuration requires in production', () => {
    // Ask loadConfig itself which variables production requires (JWT_SECRET, DATABASE_URL, ...).
    const required = sorted(configProblems({ NODE_ENV: 'production' }).map((problem) => problem.split(':')[0]));
    expect(required.length).toBeGreaterThan(0);
    const env = containerEnvironment(api, { JWT_SECRET: DUMMY_JWT_SECRET });
    expect({ NODE_ENV: env.NODE_ENV, unset: required.filter((name) => !env[name]) }).toEqual({
      NODE_ENV: 'production',
      unset: [],
    });
  });

  it.each(['api', 'migrate'])(
    'gives %s an environment loadConfig accepts, pointing at the compose services',
    (name) => {
      const env = containerEnvironment(service(name), { JWT_SECRET: DUMMY_JWT_SECRET });
      expect(configProblems(env)).toEqual([]);
      const config: AppConfig = loadConfig(env);
      expect({
        env: config.app.env,
        host: config.app.host,
        port: config.app.port,
        databaseHost: config.database.url && new URL(config.database.url).hostname,
        redisHost: config.cache.redisUrl && new URL(config.cache.redisUrl).hostname,
        jwtSecret: config.auth.jwtSecret,
      }).toEqual({
        env: 'production',
        host: '0.0.0.0',
        port: 3000,
        databaseHost: 'postgres',
        redisHost: 'redis',
        jwtSecret: DUMMY_JWT_SECRET,
      });
    },
  );
});

describe('.env.example', () => {
  it('documents every configuration variable and the compose-only ones, and nothing else', () => {
    const documented = new Set(envExampleEntries.map((entry) => entry.name));
    const expected = new Set<string>([...CONFIG_VARIABLES, ...COMPOSE_ONLY_VARIABLES]);
    expect({
      undocumented: [...expected].filter((name) => !documented.has(name)).sort(),
      unknown: [...documented].filter((name) => !expected.has(name)).sort(),
    }).toEqual({ undocumented: [], unknown: [] });
  });

  it('documents each variable once', () => {
    const seen = new Map<string, number>();
    const duplicates = envExampleEntries.flatMap((entry) => {
      const first = seen.get(entry.name);
      seen.set(entry.name, first ?? entry.line);
      return first === undefined ? [] : [`${entry.name} on lines ${first} and ${entry.line}`];
    });
    expect(duplicates).toEqual([]);
  });

  it('keeps the compose-only variables, and only them, in its "docker-compose only" section', () => {
    expect(composeOnlyStart === -1 ? 'no "# ... docker-compose only ..." section heading' : 'found').toBe('found');
    const misplaced = envExampleEntries.flatMap((entry) => {
      const composeOnly = (COMPOSE_ONLY_VARIABLES as readonly string[]).includes(entry.name);
      if (composeOnly === entry.composeOnly) return [];
      return [
        composeOnly
          ? `${entry.name} (line ${entry.line}) belongs in the docker-compose only section`
          : `${entry.name} (line ${entry.line}) is not in COMPOSE_ONLY_VARIABLES: app variables go above the docker-compose only section`,
      ];
    });
    expect(misplaced).toEqual([]);
  });

  it('works as a .env for development as it is, and sets no secret', () => {
    const active = envExampleEntries.filter((entry) => !entry.commented && !entry.composeOnly);
    expect(configProblems(Object.fromEntries(active.map((entry) => [entry.name, entry.value])))).toEqual([]);
    const secrets = active
      .filter((entry) => ['JWT_SECRET', 'SEED_ADMIN_PASSWORD'].includes(entry.name) && entry.value !== '')
      .map((entry) => `${entry.name} (line ${entry.line}) must stay commented out or empty`);
    expect(secrets).toEqual([]);
  });
});

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
});
