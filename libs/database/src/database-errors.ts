import {
  isDriverAdapterError as adapterErrorCheck,
  type DriverAdapterError,
  type Error as DriverError,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { DomainError } from '@app/common';
import { Prisma } from './generated/prisma/client.js';

/** The command that applies pending migrations, named in readiness answers and the boot log. */
export const MIGRATE_COMMAND = 'npm run db:migrate';

/**
 * The database cannot serve the request now (unreachable, shutting down or starting up, out of
 * connections, too slow): 503 with the default `Retry-After` of unavailable dependencies.
 */
export class DatabaseUnavailableError extends DomainError {
  constructor() {
    super('unavailable', 'DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly.');
  }
}

/** The database lacks a table or column this build uses: its migrations are not applied. 503. */
export class DatabaseNotMigratedError extends DomainError {
  constructor() {
    super('unavailable', 'DATABASE_NOT_MIGRATED', `The database schema is not up to date (${MIGRATE_COMMAND}).`, {
      retryAfterSeconds: 30,
    });
  }
}

/**
 * A connection could not be obtained (refused, timed out, rejected by the server: starting up,
 * too many clients; or not handed out by the pool in time), or was lost during a query. Raised by
 * {@link DatabasePool} and {@link DatabaseClient}, so it is recognised by its class.
 */
export class DatabaseConnectionError extends Error {
  constructor(cause: unknown) {
    super(`Database connection failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = new.target.name;
  }
}

type QueryCallback = (error: Error | undefined, result: unknown) => void;

/**
 * A pg client that gives a lost connection a class: its `error` events (the connection failed),
 * and a query that fails without an answer from the server (not a `pg.DatabaseError`) on a
 * connection that has ended or failed (a crash, a dropped network), carry a
 * {@link DatabaseConnectionError} instead of pg's plain `Error`.
 */
export class DatabaseClient extends pg.Client {
  /** pg delivers a lost connection's query errors on the next tick, after `end`/`error` fired. */
  private connectionLost = false;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => (this.connectionLost = true));
    this.on('end', () => (this.connectionLost = true));
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    const classify = (error: unknown): unknown =>
      this.connectionLost && !(error instanceof pg.DatabaseError) ? new DatabaseConnectionError(error) : error;
    this.query = ((...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        // pg-pool's query() passes a callback.
        const reply: QueryCallback = (error, result) =>
          (callback as QueryCallback)(error && (classify(error) as Error), result);
        return query(...args.slice(0, -1), reply);
      }
      const result = query(...args);
      return result instanceof Promise
        ? result.catch((error: unknown) => {
            throw classify(error);
          })
        : result;
    }) as typeof this.query;
  }

  /** An `error` event is the connection failing; pg-pool answers a pending query with it. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && !(args[0] instanceof DatabaseConnectionError)) {
      return super.emit(event, new DatabaseConnectionError(args[0]));
    }
    return super.emit(event, ...args);
  }
}

/**
 * The pool Prisma's pg adapter uses. pg-pool reports a pool that stays exhausted, and pg a server
 * that does not answer, as plain `Error`s that the adapter passes through untouched; wrapping
 * whatever `connect()` fails with gives them a class. Its clients are {@link DatabaseClient}s.
 */
export class DatabasePool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super({ ...config, Client: DatabaseClient });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  override connect(
    callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | void {
    if (callback) {
      // pg-pool's own query() takes this path.
      super.connect((error, client, done) =>
        callback(error ? new DatabaseConnectionError(error) : undefined, client, done),
      );
      return;
    }
    return super.connect().catch((error: unknown) => {
      throw new DatabaseConnectionError(error);
    });
  }
}

/** The adapter's own check, made safe on anything: it reads `.name` of what it is given, so throws on undefined. */
function isDriverAdapterError(value: unknown): value is DriverAdapterError {
  return typeof value === 'object' && value !== null && adapterErrorCheck(value);
}

/** Prisma's codes for connection-level failures (P1xxx), pool timeouts, transaction start timeouts, too many clients. */
const UNAVAILABLE_PRISMA_CODES: ReadonlySet<string> = new Set([
  'P1001', // can't reach the database server
  'P1002', // the server was reached but timed out
  'P1008', // operations timed out
  'P1017', // the server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction API error: could not start in time, or expired
  'P2037', // too many database connections opened
]);

/** The schema lacks what the query needs: the table (P2021) or the column (P2022) does not exist. */
const NOT_MIGRATED_PRISMA_CODES: ReadonlySet<string> = new Set(['P2021', 'P2022']);

/** Driver adapter error kinds meaning "no usable connection to the database". */
const UNAVAILABLE_ADAPTER_KINDS: ReadonlySet<string> = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
]);

const NOT_MIGRATED_ADAPTER_KINDS: ReadonlySet<string> = new Set(['TableDoesNotExist', 'ColumnNotFound']);

/**
 * PostgreSQL SQLSTATEs of an unavailable server: class 08 (connection exception), 53
 * (insufficient resources, e.g. 53300 too_many_connections), 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up or recovering), 57014 query_canceled
 * (a statement timeout).
 */
function sqlStateUnavailable(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '57014'].includes(code);
}

/** 42P01 undefined_table, 42703 undefined_column. */
function sqlStateNotMigrated(code: string): boolean {
  return code === '42P01' || code === '42703';
}

function fromSqlState(code: string | undefined): DomainError | undefined {
  if (code === undefined) return undefined;
  if (sqlStateUnavailable(code)) return new DatabaseUnavailableError();
  if (sqlStateNotMigrated(code)) return new DatabaseNotMigratedError();
  return undefined;
}

function fromAdapterError(error: DriverError): DomainError | undefined {
  if (UNAVAILABLE_ADAPTER_KINDS.has(error.kind)) return new DatabaseUnavailableError();
  if (NOT_MIGRATED_ADAPTER_KINDS.has(error.kind)) return new DatabaseNotMigratedError();
  return fromSqlState(error.kind === 'postgres' ? error.code : error.originalCode);
}

/**
 * The one place that decides whether an error thrown by Prisma, its pg adapter or pg means the
 * database is unavailable (or not migrated), by the error's class and codes. Returns the domain
 * error to answer with (503 + Retry-After), or undefined for anything else (a bug, a constraint
 * violation a repository handles...).
 */
export function databaseErrorToDomain(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return undefined;
  if (error instanceof DatabaseConnectionError) return new DatabaseUnavailableError();
  if (error instanceof Prisma.PrismaClientInitializationError) return new DatabaseUnavailableError();
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (UNAVAILABLE_PRISMA_CODES.has(error.code)) return new DatabaseUnavailableError();
    if (NOT_MIGRATED_PRISMA_CODES.has(error.code)) return new DatabaseNotMigratedError();
    // Raw queries (P2010) carry the driver's error, whatever it was.
    const driverError = error.meta?.driverAdapterError;
    return isDriverAdapterError(driverError) ? fromAdapterError(driverError.cause) : undefined;
  }
  if (isDriverAdapterError(error)) return fromAdapterError(error.cause);
  if (error instanceof pg.DatabaseError) return fromSqlState(error.code);
  return undefined;
}

/** The driver's own error inside what Prisma (or its adapter) threw, if any. */
function driverErrorOf(error: unknown): DriverError | undefined {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const driverError = error.meta?.driverAdapterError;
    return isDriverAdapterError(driverError) ? driverError.cause : undefined;
  }
  return isDriverAdapterError(error) ? error.cause : undefined;
}

/**
 * SQLSTATEs a hot standby cancels a read with when replaying the primary's WAL conflicts with it
 * (40001 "canceling statement due to conflict with recovery", 40P01 a deadlock with replay, 57P04
 * database_dropped): the same read can succeed on the primary.
 */
const RECOVERY_CONFLICT_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01', '57P04']);

/** Whether a read on a replica was cancelled by a conflict with replay, by Prisma's code or the SQLSTATE. */
export function isRecoveryConflict(error: unknown): boolean {
  // P2034: a write conflict or deadlock, what Prisma makes of 40001 and 40P01.
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2034') return true;
  if (error instanceof pg.DatabaseError) return RECOVERY_CONFLICT_SQLSTATES.has(error.code ?? '');
  const driverError = driverErrorOf(error);
  if (!driverError) return false;
  if (driverError.kind === 'TransactionWriteConflict') return true;
  const code = driverError.kind === 'postgres' ? driverError.code : driverError.originalCode;
  return code !== undefined && RECOVERY_CONFLICT_SQLSTATES.has(code);
}

/**
 * One line saying why a database call failed, for a log: the driver's message when Prisma wraps
 * one (its own message can be empty, or a page long), else the first line of the error's message,
 * or its code.
 */
export function describeDatabaseError(error: unknown): string {
  const driverError = driverErrorOf(error);
  if (driverError) {
    const message = 'message' in driverError ? driverError.message : driverError.originalMessage;
    if (message) return message;
    return driverError.originalCode ? `${driverError.kind} (${driverError.originalCode})` : driverError.kind;
  }
  if (!(error instanceof Error)) return String(error);
  const firstLine = error.message.split('\n').find((line) => line.trim() !== '');
  const code = (error as { code?: unknown }).code;
  return firstLine?.trim() ?? (typeof code === 'string' ? code : error.name);
}
