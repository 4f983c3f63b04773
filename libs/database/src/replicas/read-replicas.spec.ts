import { describe, expect, it, vi } from 'vitest';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { DatabaseConnectionError } from '../database-errors.js';
import type pg from 'pg';
import { ReadReplicas, replicaName, warnOnAsyncCommit, type Replica } from './read-replicas.js';
import { ReplicaHealth, type ReplicaLog } from './replica-health.js';

const NOW = 1_000_000;

function makeReplica(name: string, usable: boolean): Replica {
  const log = {
    log: vi.fn<ReplicaLog['log']>(),
    warn: vi.fn<ReplicaLog['warn']>(),
    error: vi.fn<ReplicaLog['error']>(),
  };
  const health = new ReplicaHealth(name, 1000, log);
  if (usable) health.update({ kind: 'in-use', freshUntil: NOW + 500 });
  return { name, client: {} as PrismaClient, health, whenUnreachable: (listener) => health.whenUnreachable(listener) };
}

function makeMonitor() {
  return { checkAll: vi.fn(async () => undefined), start: vi.fn(), stop: vi.fn(async () => undefined) };
}

/** What Prisma throws for a model query the driver failed with `sqlState`. */
function prismaError(code: string, sqlState?: string): Prisma.PrismaClientKnownRequestError {
  const driverAdapterError = sqlState
    ? new DriverAdapterError({
        kind: 'postgres',
        code: sqlState,
        severity: 'FATAL',
        message: `sqlstate ${sqlState}`,
        detail: undefined,
        column: undefined,
        hint: undefined,
      })
    : undefined;
  return new Prisma.PrismaClientKnownRequestError('', { code, clientVersion: '7.10.0', meta: { driverAdapterError } });
}

describe(ReadReplicas.name, () => {
  function makeSut(replicas: Replica[]) {
    const monitor = makeMonitor();
    const onStop = vi.fn(async () => undefined);
    const checkPrimary = vi.fn(async () => undefined);
    return { sut: new ReadReplicas(replicas, monitor, onStop, () => NOW, checkPrimary), monitor, onStop, checkPrimary };
  }

  it('takes the usable replicas in turn, skipping the others', () => {
    const [a, b, c] = [makeReplica('a', true), makeReplica('b', false), makeReplica('c', true)];
    const { sut } = makeSut([a, b, c]);

    expect([sut.pick(), sut.pick(), sut.pick(), sut.pick()].map((replica) => replica?.name)).toEqual([
      'a',
      'c',
      'a',
      'c',
    ]);
  });

  it('tells the reads waiting on a replica once it is found unreachable, and only once', () => {
    const replica = makeReplica('a', true);
    const { sut } = makeSut([replica]);
    const waiting = vi.fn();
    const done = vi.fn();
    replica.whenUnreachable(waiting);
    replica.whenUnreachable(done)();

    sut.failed(replica, new DatabaseConnectionError(new Error('read ECONNRESET')));
    sut.failed(replica, new DatabaseConnectionError(new Error('read ECONNRESET')));

    expect(waiting).toHaveBeenCalledTimes(1);
    expect(done).not.toHaveBeenCalled();
  });

  it('picks none when no replica is usable: the primary answers', () => {
    const { sut } = makeSut([makeReplica('a', false), makeReplica('b', false)]);

    expect(sut.pick()).toBeUndefined();
  });

  it.each([
    [
      'a lost connection',
      new DatabaseConnectionError(new Error('Connection terminated unexpectedly')),
      'Database connection failed: Connection terminated unexpectedly',
    ],
    ['a server shutting down (57P01)', prismaError('P2039', '57P01'), 'sqlstate 57P01'],
    ['a server starting up (57P03)', prismaError('P2039', '57P03'), 'sqlstate 57P03'],
    ['too many clients (53300)', prismaError('P2037'), 'P2037'],
  ])('takes a replica out of use on %s, and has the primary answer', (_name, error, reason) => {
    const replica = makeReplica('a', true);
    const { sut } = makeSut([replica]);

    expect(sut.failed(replica, error)).toBe(true);
    expect(replica.health.state).toEqual({ kind: 'unreachable', reason });
    expect(sut.pick()).toBeUndefined();
  });

  it.each([
    ['a conflict with replay (P2034)', prismaError('P2034')],
    ['a conflict with replay (57P04)', prismaError('P2039', '57P04')],
    ['a table the replica has not replayed yet (P2021)', prismaError('P2021')],
  ])('has the primary answer a read failed by %s, and keeps the replica', (_name, error) => {
    const replica = makeReplica('a', true);
    const { sut } = makeSut([replica]);

    expect(sut.failed(replica, error)).toBe(true);
    expect(replica.health.state.kind).toBe('in-use');
  });

  it.each([
    ['a record not found (P2025)', prismaError('P2025')],
    ['a bug', new TypeError('x is undefined')],
  ])('leaves %s to the caller: the primary would answer it the same', (_name, error) => {
    const replica = makeReplica('a', true);
    const { sut } = makeSut([replica]);

    expect(sut.failed(replica, error)).toBe(false);
    expect(replica.health.state.kind).toBe('in-use');
  });

  it('checks every replica once before the first request, then keeps checking; stops the checks before closing', async () => {
    const { sut, monitor, onStop, checkPrimary } = makeSut([makeReplica('a', false)]);

    await sut.start();
    // The primary's commit setting first (the lag bound assumes synchronous commits).
    expect(checkPrimary).toHaveBeenCalledBefore(monitor.checkAll);
    expect(monitor.checkAll).toHaveBeenCalledBefore(monitor.start);

    await sut.stop();
    expect(monitor.stop).toHaveBeenCalledBefore(onStop);
  });

  it("tells each replica's state and whether it is read from now", () => {
    const { sut } = makeSut([makeReplica('a', true), makeReplica('b', false)]);

    expect(sut.status()).toEqual([
      { name: 'a', state: 'in-use', usable: true },
      { name: 'b', state: 'unknown', usable: false },
    ]);
  });

  it('names a replica by host, port and database, never by its credentials', () => {
    expect(replicaName('postgresql://app:s3cret@replica-1.internal:6432/app?sslmode=require')).toBe(
      'replica-1.internal:6432/app',
    );
    expect(replicaName('postgres://replica-2/app')).toBe('replica-2:5432/app');
  });
});

describe(warnOnAsyncCommit.name, () => {
  /** A pool whose one connection answers `synchronous_commit` with `setting`. */
  function poolAnswering(setting: string): pg.Pool {
    const client = { query: vi.fn(async () => ({ rows: [{ setting }] })), release: vi.fn() };
    return { connect: vi.fn(async () => client) } as unknown as pg.Pool;
  }

  it.each(['on', 'local', 'remote_apply'])(
    'says nothing when the primary commits synchronously (%s)',
    async (setting) => {
      const log = {
        log: vi.fn<ReplicaLog['log']>(),
        warn: vi.fn<ReplicaLog['warn']>(),
        error: vi.fn<ReplicaLog['error']>(),
      };

      await warnOnAsyncCommit(poolAnswering(setting), log);

      expect(log.warn).not.toHaveBeenCalled();
    },
  );

  it('warns once when the primary commits asynchronously', async () => {
    const log = {
      log: vi.fn<ReplicaLog['log']>(),
      warn: vi.fn<ReplicaLog['warn']>(),
      error: vi.fn<ReplicaLog['error']>(),
    };

    await warnOnAsyncCommit(poolAnswering('off'), log);

    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('synchronous_commit is off on the primary'));
  });
});
