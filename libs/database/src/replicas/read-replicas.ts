import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { AppConfig } from '@app/config';
import { withTimeout } from '@app/common';
import { PrismaClient } from '../generated/prisma/client.js';
import {
  DatabasePool,
  DatabaseUnavailableError,
  databaseErrorToDomain,
  DatabaseNotMigratedError,
  describeDatabaseError,
  isRecoveryConflict,
} from '../database-errors.js';
import type { ReadReplica, ReplicaRouter } from './read-routing.js';
import { ReplicaHealth, type ReplicaLog, type ReplicaState } from './replica-health.js';
import { ReplicaMonitor, type PrimaryWalProbe, type ReplicaProbe } from './replica-monitor.js';

/** How long a connection to a replica may take: past it the read goes to the primary (and the check fails). */
const REPLICA_CONNECT_TIMEOUT_MS = 2_000;
/** How long one check's query may take before the replica (or the primary's sample) counts as unreachable. */
const CHECK_TIMEOUT_MS = 2_000;
/** `application_name` of the connections, to tell them apart in `pg_stat_activity`. */
export const REPLICA_READS_APPLICATION_NAME = 'api-replica-reads';
export const REPLICA_CHECK_APPLICATION_NAME = 'api-replica-check';

/** A replica, with the client its reads go through and its health. */
export interface Replica extends ReadReplica {
  readonly client: PrismaClient;
  readonly health: ReplicaHealth;
}

/** What `status()` tells of each replica (tests, diagnostics). */
export interface ReplicaStatus {
  name: string;
  state: ReplicaState['kind'];
  usable: boolean;
}

/** `host:port/database` of a URL: how logs name a replica, without its credentials. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** One row of `sql` from a pool of one connection, within {@link CHECK_TIMEOUT_MS}; a connection that hangs is dropped. */
async function queryOne<Row>(pool: pg.Pool, sql: string): Promise<Row> {
  const client = await pool.connect();
  try {
    const result = await withTimeout(client.query<Row & pg.QueryResultRow>(sql), CHECK_TIMEOUT_MS);
    client.release();
    const row = result.rows[0];
    if (!row) throw new Error('no row');
    return row;
  } catch (error) {
    // Not reused: it may be stuck mid-query, or broken.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * The pool of the checks of one server: one connection, whose failures (idle or mid-check) are
 * errors of the check, never unhandled events; the next check reconnects.
 */
function checkPool(url: string): pg.Pool {
  const pool = new DatabasePool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: CHECK_TIMEOUT_MS,
    application_name: REPLICA_CHECK_APPLICATION_NAME,
  });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * `pg_current_wal_lsn()`, the WAL written so far: what a replica can have received. (The insert
 * position, `pg_current_wal_insert_lsn()`, can stay a page header ahead of every replica on an
 * idle primary.)
 */
function primaryProbe(pool: pg.Pool): PrimaryWalProbe {
  return {
    position: async () =>
      BigInt(
        (await queryOne<{ position: string }>(pool, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS position"))
          .position,
      ),
  };
}

function replicaProbe(pool: pg.Pool): ReplicaProbe {
  return {
    replay: async () => {
      const row = await queryOne<{ standby: boolean; replayed: string | null }>(
        pool,
        "SELECT pg_is_in_recovery() AS standby, (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::text AS replayed",
      );
      return { standby: row.standby, replayed: row.replayed === null ? null : BigInt(row.replayed) };
    },
  };
}

/**
 * The lag check compares a replica's replay position with the primary's written WAL, which holds
 * every acknowledged commit only while commits wait for their WAL (`synchronous_commit` not
 * `off`, PostgreSQL's default). Said once at boot when the server's default is `off`.
 */
export async function warnOnAsyncCommit(primary: pg.Pool, logger: ReplicaLog): Promise<void> {
  const row = await queryOne<{ setting: string }>(
    primary,
    "SELECT current_setting('synchronous_commit') AS setting",
  ).catch(() => undefined);
  if (row?.setting === 'off') {
    logger.warn(
      'synchronous_commit is off on the primary: a replica may miss commits the lag check counts as ' +
        'replayed (up to three wal_writer_delay); set it to on (the default) to keep the bound exact',
    );
  }
}

/**
 * The read replicas (DATABASE_REPLICA_URLS): a Prisma client per replica for the reads the routing
 * sends there, and the background checks that decide which of them may be read from now. A replica
 * down or too far behind is skipped (another one, or the primary, answers) and used again once a
 * check finds it back; each change is logged once.
 */
export class ReadReplicas implements ReplicaRouter {
  private next = 0;

  constructor(
    private readonly replicas: readonly Replica[],
    private readonly monitor: Pick<ReplicaMonitor, 'checkAll' | 'start' | 'stop'>,
    private readonly onStop: () => Promise<void> = async () => undefined,
    private readonly clock: () => number = Date.now,
    private readonly checkPrimary: () => Promise<void> = async () => undefined,
  ) {}

  /** The replicas of `config`, checked against its primary (`config.url`); nothing connects before `start()`. */
  static open(config: AppConfig['database'], logger: ReplicaLog = new Logger(ReadReplicas.name)): ReadReplicas {
    const { urls, maxLagMs, checkIntervalMs } = config.replicas;
    const pools: pg.Pool[] = [];
    const replicas = urls.map((url) => {
      const client = new PrismaClient({
        adapter: new PrismaPg(
          new DatabasePool({
            connectionString: url,
            max: config.poolMax,
            connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS,
            application_name: REPLICA_READS_APPLICATION_NAME,
            // A replica cut off by the network errors its connections instead of holding them forever.
            keepAlive: true,
          }),
          { disposeExternalPool: true },
        ),
      });
      const health = new ReplicaHealth(replicaName(url), maxLagMs, logger);
      return {
        name: replicaName(url),
        client,
        health,
        whenUnreachable: (listener: () => void) => health.whenUnreachable(listener),
      };
    });
    const primaryPool = checkPool(config.url ?? '');
    pools.push(primaryPool);
    const monitored = replicas.map((replica, index) => {
      const pool = checkPool(urls[index] ?? '');
      pools.push(pool);
      return { health: replica.health, probe: replicaProbe(pool) };
    });
    const monitor = new ReplicaMonitor(primaryProbe(primaryPool), monitored, {
      maxLagMs,
      intervalMs: checkIntervalMs,
    });
    const closeAll = async () => {
      await Promise.allSettled([
        ...replicas.map((replica) => replica.client.$disconnect()),
        ...pools.map((pool) => pool.end()),
      ]);
    };
    return new ReadReplicas(replicas, monitor, closeAll, Date.now, () => warnOnAsyncCommit(primaryPool, logger));
  }

  /** Checks every replica once (the API reads from the first request those that pass), then keeps checking. */
  async start(): Promise<void> {
    await this.checkPrimary();
    await this.monitor.checkAll();
    this.monitor.start();
  }

  async stop(): Promise<void> {
    await this.monitor.stop();
    await this.onStop();
  }

  /** The next usable replica, in turn; undefined when none is. */
  pick(): Replica | undefined {
    const now = this.clock();
    for (let tried = 0; tried < this.replicas.length; tried++) {
      const replica = this.replicas[this.next++ % this.replicas.length];
      if (replica?.health.usable(now)) return replica;
    }
    return undefined;
  }

  /**
   * A read failed on `replica`. A connection failure (it is down, restarting, out of connections)
   * takes it out of use until a check finds it back; a conflict with replay, or a schema the replica
   * has not replayed yet, is that read's alone. Either way the primary answers; any other error
   * (a bug, a constraint) would fail there too and is the caller's.
   */
  failed(replica: ReadReplica, error: unknown): boolean {
    const domain = databaseErrorToDomain(error);
    if (domain instanceof DatabaseUnavailableError) {
      const health = this.replicas.find((candidate) => candidate === replica)?.health;
      health?.update({ kind: 'unreachable', reason: describeDatabaseError(error) });
      return true;
    }
    return domain instanceof DatabaseNotMigratedError || isRecoveryConflict(error);
  }

  status(): ReplicaStatus[] {
    const now = this.clock();
    return this.replicas.map(({ name, health }) => ({ name, state: health.state.kind, usable: health.usable(now) }));
  }
}
