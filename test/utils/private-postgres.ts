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

/** Where a streaming replica of the cluster replays its WAL. */
export interface ReplayPosition {
  /** `pg_last_wal_replay_lsn()` of the replica. */
  replayed: string;
  /** `pg_current_wal_lsn()` of its primary. */
  primary: string;
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
    /** The cluster this one streams from, for a replica made by {@link createReplica}. */
    readonly primary?: PrivatePostgres,
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
        ...cluster.ownSettings(options),
        // A test cluster: durability is not the point, speed is.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        // Replicas can be made of it (createReplica): WAL for streaming, and senders to stream it.
        'wal_level = replica',
        'max_wal_senders = 10',
      ];
      await cluster.appendSettings(settings);
      // initdb --auth=trust already lets 127.0.0.1 replicate; said here, as the replicas depend on it.
      await cluster.exec('sh', [
        '-c',
        `printf '%s\\n' 'host replication postgres 127.0.0.1/32 trust' >> ${cluster.data}/pg_hba.conf`,
      ]);
      await cluster.start();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /**
   * A streaming replica of this cluster, started: `pg_basebackup -R` (a copy of the data directory
   * that replays this cluster's WAL as a hot standby, `standby.signal` and `primary_conninfo`
   * included) on a port of its own. It serves reads at once; `destroy()` it before its primary.
   * From then on this cluster commits synchronously (its WAL position covers every commit).
   */
  async createReplica(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    // Commits are acknowledged once their WAL is written (fsync stays off), so the primary's WAL
    // position names every commit a client has seen: what replica lag is measured against.
    await this.withClient(async (client) => {
      await client.query('ALTER SYSTEM SET synchronous_commit = on');
      await client.query('SELECT pg_reload_conf()');
    });
    const root = mkdtempSync(path.join(tmpdir(), ROOT_PREFIX));
    writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
    const replica = new PrivatePostgres(await freePort(), root, this.identity, this.bin, this);
    try {
      mkdirSync(replica.run);
      if (this.identity) for (const dir of [root, replica.run]) chownSync(dir, this.identity.uid, this.identity.gid);
      await replica.exec('pg_basebackup', [
        '-D',
        replica.data,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
        '--no-sync',
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-U',
        'postgres',
      ]);
      // The copied postgresql.conf names the primary's port and socket: later lines win.
      await replica.appendSettings([...replica.ownSettings(options), 'hot_standby = on']);
      await replica.start();
      return replica;
    } catch (error) {
      await replica.destroy();
      throw error;
    }
  }

  /** The settings that differ between a cluster and its replicas. */
  private ownSettings(options: PrivatePostgresOptions): string[] {
    return [
      `port = ${this.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${this.run}'`,
      `max_connections = ${options.maxConnections ?? 100}`,
      'superuser_reserved_connections = 0',
    ];
  }

  private async appendSettings(settings: string[]): Promise<void> {
    await this.exec('sh', ['-c', `printf '%s\\n' "$@" >> ${this.data}/postgresql.conf`, 'sh', ...settings]);
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
    // A replica stays one; a primary left a standby by startRefusingConnections becomes a primary again.
    if (!this.primary) rmSync(this.standbySignal, { force: true });
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

  /** On a replica: stops replaying the primary's WAL (it keeps receiving it), so it falls behind. */
  async pauseReplay(): Promise<void> {
    await this.withClient((client) => client.query('SELECT pg_wal_replay_pause()'));
  }

  /** On a replica: replays again, catching up with what it received meanwhile. */
  async resumeReplay(): Promise<void> {
    await this.withClient((client) => client.query('SELECT pg_wal_replay_resume()'));
  }

  /** On a replica: how far it has replayed, beside where its primary's WAL is now. */
  async replayPosition(): Promise<ReplayPosition> {
    if (!this.primary) throw new Error('replayPosition() is for a replica made by createReplica()');
    const primary = await this.primary.withClient(
      async (client) => (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn,
    );
    const replayed = await this.withClient(
      async (client) =>
        (await client.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0].lsn,
    );
    return { replayed, primary };
  }

  /** On a replica: resolves once it has replayed everything its primary had written when called. */
  async caughtUp(ms = 15_000): Promise<void> {
    if (!this.primary) throw new Error('caughtUp() is for a replica made by createReplica()');
    const target = await this.primary.withClient(
      async (client) => (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn,
    );
    const deadline = Date.now() + ms;
    for (let attempt = 0; attempt < Math.ceil(ms / 50); attempt++) {
      const done = await this.withClient(
        async (client) =>
          (await client.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [target]))
            .rows[0].done,
      );
      if (done) return;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the replica did not replay up to ${target} within ${ms} ms`);
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
