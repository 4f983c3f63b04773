import { execFile, execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { applyMigrations } from '../../libs/database/src/migrations/migration-runner.js';
import { defaultMigrationsDir } from '../../libs/database/src/migrations/migration-files.js';
import { openPgSession } from '../../libs/database/src/sql-session.js';
import { freePort } from './built-app.js';

const execFileAsync = promisify(execFile);

/**
 * PostgreSQL refuses to run as root: as root, the cluster runs as this unprivileged user, created
 * on first use (`.ci/run` creates it too).
 */
const PRIVATE_POSTGRES_USER = 'nest-starter-pg';

export interface PrivatePostgresOptions {
  /** `max_connections` of the server (PostgreSQL's default is 100). */
  maxConnections?: number;
}

type StopMode = 'smart' | 'fast' | 'immediate';

/** The server's programs: pg_config's bindir, or Debian's /usr/lib/postgresql/<version>/bin. */
function binDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  } catch {
    // No pg_config (no libpq-dev): look where Debian and Ubuntu install the server.
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(debian, version, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')));
  if (!found) throw new Error('No PostgreSQL server programs (initdb, pg_ctl) found: install the postgresql package.');
  return found;
}

/** The uid/gid to run the server as: the unprivileged user when this process is root, else ourselves. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    try {
      return {
        uid: Number(execFileSync('id', ['-u', PRIVATE_POSTGRES_USER], { encoding: 'utf8', stdio: 'pipe' })),
        gid: Number(execFileSync('id', ['-g', PRIVATE_POSTGRES_USER], { encoding: 'utf8', stdio: 'pipe' })),
      };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['-M', '-s', '/bin/false', PRIVATE_POSTGRES_USER], { stdio: 'pipe' });
  } catch (error) {
    // A concurrent test file created it first.
    if (!lookup()) throw error;
  }
  const created = lookup();
  if (!created) throw new Error(`Could not create the user ${PRIVATE_POSTGRES_USER}`);
  return created;
}

const ROOT_PREFIX = 'private-pg-';
/** The pid of the test process that created a cluster: once it is gone, the cluster is abandoned. */
const OWNER_FILE = 'owner.pid';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A PostgreSQL cluster of a test's own (initdb + pg_ctl on a free port, under a temporary
 * directory), for tests that stop, crash or restart the database server: the shared server is
 * never touched. Always `destroy()` it in `afterAll`.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly root: string,
    private readonly identity: { uid: number; gid: number } | undefined,
    private readonly bin: string,
  ) {}

  private get data(): string {
    return path.join(this.root, 'data');
  }

  private get run(): string {
    return path.join(this.root, 'run');
  }

  /** initdb, then start. */
  static async create(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const identity = serverIdentity();
    const bin = binDir();
    await PrivatePostgres.removeAbandoned(identity, bin);
    const root = mkdtempSync(path.join(tmpdir(), ROOT_PREFIX));
    writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
    const cluster = new PrivatePostgres(await freePort(), root, identity, bin);
    try {
      mkdirSync(cluster.run);
      if (identity) for (const dir of [root, cluster.run]) chownSync(dir, identity.uid, identity.gid);
      await cluster.exec('initdb', ['-D', cluster.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
      const settings = [
        `port = ${cluster.port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${cluster.run}'`,
        `max_connections = ${options.maxConnections ?? 100}`,
        'superuser_reserved_connections = 0',
        // A test cluster: durability is not the point, speed is.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
      ];
      await cluster.exec('sh', ['-c', `printf '%s\\n' "$@" >> ${cluster.data}/postgresql.conf`, 'sh', ...settings]);
      await cluster.start();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Clusters left running by a test process killed before its afterAll: stopped and removed. */
  private static async removeAbandoned(identity: { uid: number; gid: number } | undefined, bin: string) {
    for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(ROOT_PREFIX))) {
      const root = path.join(tmpdir(), name);
      const ownerFile = path.join(root, OWNER_FILE);
      // No owner yet: another process is creating it right now.
      if (!existsSync(ownerFile)) continue;
      const owner = Number(readFileSync(ownerFile, 'utf8'));
      if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
      await new PrivatePostgres(0, root, identity, bin).destroy();
    }
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    rmSync(this.standbySignal, { force: true });
    await this.exec('pg_ctl', ['-D', this.data, '-l', path.join(this.run, 'pg.log'), '-w', '-t', '30', 'start']);
  }

  /**
   * Starts the server as a standby that does not serve reads (hot_standby off): it runs but
   * refuses every connection with 57P03 cannot_connect_now, as a server starting up or
   * recovering does, until it is stopped and started again.
   */
  async startRefusingConnections(): Promise<void> {
    writeFileSync(this.standbySignal, '');
    await this.exec('pg_ctl', [
      '-D',
      this.data,
      '-l',
      path.join(this.run, 'pg.log'),
      '-o',
      '-c hot_standby=off',
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  private get standbySignal(): string {
    return path.join(this.data, 'standby.signal');
  }

  /** `fast` disconnects every client and stops cleanly; `immediate` is a crash (recovery at the next start). */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  get running(): boolean {
    return existsSync(path.join(this.data, 'postmaster.pid'));
  }

  /** The postmaster's process id (from postmaster.pid), while it runs. */
  get pid(): number {
    return Number(readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
  }

  /** Runs `fn` on one connection to `database`. */
  async withClient<T>(fn: (client: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  /** Creates a database, with every committed migration applied unless `migrated: false`. */
  async createDatabase(name: string, options: { migrated?: boolean } = {}): Promise<string> {
    await this.withClient((client) => client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`));
    const url = this.url(name);
    if (options.migrated ?? true) {
      const session = await openPgSession(url);
      try {
        await applyMigrations(session, { migrationsDir: defaultMigrationsDir() });
      } finally {
        await session.close();
      }
    }
    return url;
  }

  /** Stops the server (if it runs) and removes its directory; safe to call more than once. */
  async destroy(): Promise<void> {
    if (existsSync(this.data) && this.running) {
      await this.stop('immediate').catch(() => {
        // pg_ctl could not stop it (e.g. it was paused): end the postmaster by its own pid.
        if (this.running) process.kill(this.pid, 'SIGKILL');
      });
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private async exec(command: string, args: string[]): Promise<void> {
    const file = command === 'sh' ? '/bin/sh' : path.join(this.bin, command);
    try {
      await execFileAsync(file, args, {
        cwd: this.root,
        timeout: 60_000,
        ...(this.identity ?? {}),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      });
    } catch (error) {
      const log = path.join(this.run, 'pg.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`${command} ${args.join(' ')} failed: ${String(error)}\n${tail}`, { cause: error });
    }
  }
}
