// Static checks of docker-compose.yml against the app's configuration (libs/config), on the
// file as Compose itself renders it: `docker-compose config` (Debian's docker-compose package,
// which .ci/run installs) interpolates the variables and merges the anchors. No Docker engine
// is needed for that.
//
// Most assertions collect human-readable problems and expect that list to be empty, so a
// failure names every offending variable or service at once.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig, type AppConfig } from '@app/config';
import { COMPOSE_ONLY_VARIABLES, configProblems, repoFile, strings } from './utils/deployment-files.js';

const MIGRATE_JS = 'dist/apps/api/libs/database/src/cli/migrate.js';
const SEED_JS = 'dist/apps/api/apps/api/src/cli/seed.js';
/** A stand-in for the JWT_SECRET that compose requires from the operator. */
const DUMMY_JWT_SECRET = 'compose-spec-dummy-secret-Q8vTz3LmK7pWx2Nr9BfJ6hYd4Gs1';

type Service = Record<string, unknown>;
interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

interface Rendered {
  /** The file as Compose renders it, or undefined when it refused to. */
  compose: ComposeFile | undefined;
  stderr: string;
}

const execFileAsync = promisify(execFile);

/**
 * `docker-compose config` with `variables` as the whole environment: nothing from this shell,
 * and an empty env file instead of the repository's `.env`, so a developer's settings never count.
 */
async function render(envFile: string, variables: Record<string, string>): Promise<Rendered> {
  const args = ['--env-file', envFile, '-f', resolve(process.cwd(), 'docker-compose.yml'), 'config'];
  try {
    const { stdout, stderr } = await execFileAsync('docker-compose', args, {
      env: { PATH: process.env.PATH ?? '', ...variables },
      timeout: 30_000,
    });
    return { compose: parse(stdout) as ComposeFile, stderr };
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    if (code === 'ENOENT') {
      throw new Error('docker-compose is not installed: `apt-get install docker-compose` (.ci/run does)', {
        cause: error,
      });
    }
    if (typeof stderr !== 'string') throw error;
    return { compose: undefined, stderr };
  }
}

/**
 * The variable names in `text` (`${NAME...}` and `$NAME`, nested defaults included; `$$` is a
 * literal `$`). Compose has no command that lists them, so this reads the file as written.
 */
function referencedVariables(text: string): string[] {
  return [...text.replaceAll('$$', '').matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] ?? '');
}

/** A service's `environment` as Compose renders it (a map); `KEY` without a value is undefined. */
function environmentOf(svc: Service | undefined): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries((svc?.environment ?? {}) as Record<string, unknown>).map(([key, value]) => [
      key,
      value === null || value === undefined ? undefined : String(value),
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

/** Container ports a service publishes (rendered long syntax, or short `[ip:]host:container[/proto]`). */
function publishedContainerPorts(svc: Service): number[] {
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  return ports.map((entry: unknown) =>
    typeof entry === 'object' && entry !== null
      ? Number((entry as { target?: unknown }).target)
      : Number(
          String(entry)
            .replace(/\/(tcp|udp)$/, '')
            .split(':')
            .at(-1),
        ),
  );
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

describe('docker-compose.yml', () => {
  let dir: string;
  /** Rendered with the JWT_SECRET an operator must provide, and with no variable at all. */
  let withSecret: Rendered;
  let withoutVariables: Rendered;
  let services: Record<string, Service>;
  const service = (name: string): Service => services[name] ?? {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compose-spec-'));
    const envFile = join(dir, 'empty.env');
    await writeFile(envFile, '');
    [withSecret, withoutVariables] = await Promise.all([
      render(envFile, { JWT_SECRET: DUMMY_JWT_SECRET }),
      render(envFile, {}),
    ]);
    if (!withSecret.compose) throw new Error(`docker-compose config refused the file:\n${withSecret.stderr}`);
    services = withSecret.compose.services ?? {};
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('defines the postgres, redis, migrate and api services', () => {
    const missing = ['postgres', 'redis', 'migrate', 'api'].filter((name) => !(name in services));
    expect(missing.map((name) => `service "${name}" is missing`)).toEqual([]);
  });

  it('publishes the api container port 3000', () => {
    expect(publishedContainerPorts(service('api'))).toContain(3000);
  });

  it('checks api readiness on /health/ready', () => {
    expect(healthcheckCommand(service('api')) ?? 'api has no (enabled) healthcheck').toContain('/health/ready');
  });

  it('has healthchecks on postgres (pg_isready) and redis (redis-cli ping)', () => {
    expect({
      postgres: healthcheckCommand(service('postgres')) ?? 'no healthcheck',
      redis: healthcheckCommand(service('redis')) ?? 'no healthcheck',
    }).toEqual({
      postgres: expect.stringContaining('pg_isready'),
      redis: expect.stringMatching(/redis-cli.*ping/),
    });
  });

  it('starts the api once postgres and redis are healthy and migrate has completed', () => {
    expect(dependencies(service('api'))).toMatchObject({
      postgres: 'service_healthy',
      redis: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
  });

  it('runs migrate once postgres is healthy: the compiled migrate CLI, then the seed CLI, from the api image', () => {
    const [api, migrate] = [service('api'), service('migrate')];
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
    expect(Object.keys(withSecret.compose?.volumes ?? {})).toContain('postgres-data');
    expect(mountedVolumeSources(service('postgres'))).toContain('postgres-data');
  });

  it('references only configuration variables and the documented compose-only ones', () => {
    const allowed = new Set<string>([...CONFIG_VARIABLES, ...COMPOSE_ONLY_VARIABLES]);
    const written = parse(repoFile('docker-compose.yml'), { merge: true }) as unknown;
    const unknown = [...new Set(strings(written).flatMap(referencedVariables))]
      .sort()
      .filter((name) => !allowed.has(name));
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
      Object.keys(environmentOf(service(name)))
        .filter((key) => !config.has(key))
        .map((key) => `${name}.environment.${key} is not read by the app (not in CONFIG_VARIABLES)`),
    );
    expect(unknown).toEqual([]);
  });

  it('requires JWT_SECRET from the operator instead of defaulting it', () => {
    expect(withoutVariables.compose).toBeUndefined();
    // Compose v1 says "Missing mandatory value", v2 "required variable JWT_SECRET is missing a value".
    expect(withoutVariables.stderr).toMatch(/Missing mandatory value|required variable JWT_SECRET/);
    expect(withoutVariables.stderr).toContain('set JWT_SECRET to a random, non-guessable string');
  });

  it('provides every variable the configuration requires in production', () => {
    // Ask loadConfig itself which variables production requires (JWT_SECRET, DATABASE_URL, ...).
    const required = [...new Set(configProblems({ NODE_ENV: 'production' }).map((problem) => problem.split(':')[0]))];
    expect(required.length).toBeGreaterThan(0);
    const env = environmentOf(service('api'));
    expect({ NODE_ENV: env.NODE_ENV, unset: required.filter((name) => !env[name ?? '']) }).toEqual({
      NODE_ENV: 'production',
      unset: [],
    });
  });

  it.each(['api', 'migrate'])(
    'gives %s an environment loadConfig accepts, pointing at the compose services',
    (name) => {
      const env = environmentOf(service(name));
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
