import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runWithReplicaReads } from './read-scope.js';
import { routeOperation, type ReadReplica, type ReplicaRouter, type RoutedOperation } from './read-routing.js';

/** A replica's client with one model: what it answers says who answered. */
function makeReplicaClient() {
  return {
    user: {
      findMany: vi.fn<(args: unknown) => Promise<unknown>>().mockResolvedValue(['from the replica']),
      findUniqueOrThrow: vi.fn<(args: unknown) => Promise<unknown>>(),
    },
  };
}

/** A replica whose loss the test announces with `lose()`. */
function makeReplica(client: object) {
  const listeners = new Set<() => void>();
  return {
    name: 'replica-1',
    client,
    whenUnreachable: vi.fn((listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }),
    lose: () => listeners.forEach((listener) => listener()),
    listening: () => listeners.size,
  };
}

function makeRouter(replica: ReadReplica | undefined) {
  return {
    pick: vi.fn<ReplicaRouter['pick']>().mockReturnValue(replica),
    failed: vi.fn<ReplicaRouter['failed']>().mockReturnValue(true),
  };
}

function makeOperation(overrides: Partial<RoutedOperation> = {}) {
  return {
    model: 'User',
    operation: 'findMany',
    args: { where: { role: 'ADMIN' } },
    inTransaction: false,
    onPrimary: vi.fn<RoutedOperation['onPrimary']>().mockResolvedValue(['from the primary']),
    ...overrides,
  };
}

describe(routeOperation.name, () => {
  let client: ReturnType<typeof makeReplicaClient>;
  let replica: ReturnType<typeof makeReplica>;
  let router: ReturnType<typeof makeRouter>;

  beforeEach(() => {
    client = makeReplicaClient();
    replica = makeReplica(client);
    router = makeRouter(replica);
  });

  const sut = (op: RoutedOperation, options?: { primaryOnly?: boolean }) => routeOperation(router, op, options);

  it('sends a read of a request that has not written to the replica the router picks, arguments as given', async () => {
    const op = makeOperation();

    await expect(runWithReplicaReads(() => sut(op))).resolves.toEqual(['from the replica']);
    expect(client.user.findMany).toHaveBeenCalledWith({ where: { role: 'ADMIN' } });
    expect(op.onPrimary).not.toHaveBeenCalled();
    // Done with the replica: nothing of this read stays attached to it.
    expect(replica.listening()).toBe(0);
  });

  it('reads the primary outside a request (boot, seed, CLIs): nothing says what was written before', async () => {
    const op = makeOperation();

    await expect(sut(op)).resolves.toEqual(['from the primary']);
    expect(router.pick).not.toHaveBeenCalled();
  });

  it('reads the primary, for the rest of the request, once the request has written', async () => {
    const write = makeOperation({ operation: 'updateMany', args: { data: { name: 'x' } } });
    const before = makeOperation();
    const after = makeOperation();

    const answers = await runWithReplicaReads(async () => [await sut(before), await sut(write), await sut(after)]);

    expect(answers).toEqual([['from the replica'], ['from the primary'], ['from the primary']]);
    expect(write.onPrimary).toHaveBeenCalledWith({ data: { name: 'x' } });
    expect(client.user.findMany).toHaveBeenCalledTimes(1);
  });

  it('keeps each request to itself: one that wrote sends no other to the primary', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = runWithReplicaReads(async () => {
      await sut(makeOperation({ operation: 'create' }));
      await gate;
      return sut(makeOperation());
    });
    const reader = runWithReplicaReads(async () => {
      const answer = await sut(makeOperation());
      release();
      return answer;
    });

    await expect(Promise.all([writer, reader])).resolves.toEqual([['from the primary'], ['from the replica']]);
  });

  it.each([
    ['an operation of a transaction', { inTransaction: true }],
    ['raw SQL, which may write', { model: undefined, operation: '$queryRaw' }],
  ])('runs %s on the primary, and the request reads the primary afterwards', async (_name, overrides) => {
    const op = makeOperation(overrides);
    const later = makeOperation();

    const answers = await runWithReplicaReads(async () => [await sut(op), await sut(later)]);

    expect(answers).toEqual([['from the primary'], ['from the primary']]);
    expect(router.pick).not.toHaveBeenCalled();
  });

  it('reads the primary through the primary-only client, whose writes still count', async () => {
    const answers = await runWithReplicaReads(async () => [
      await sut(makeOperation(), { primaryOnly: true }),
      await sut(makeOperation({ operation: 'delete' }), { primaryOnly: true }),
      await sut(makeOperation()),
    ]);

    expect(answers).toEqual([['from the primary'], ['from the primary'], ['from the primary']]);
    expect(client.user.findMany).not.toHaveBeenCalled();
  });

  it('reads the primary when no replica is usable', async () => {
    router = makeRouter(undefined);

    await expect(runWithReplicaReads(() => sut(makeOperation()))).resolves.toEqual(['from the primary']);
  });

  it('answers from the primary a read the replica failed in a way the router says another server may not', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    client.user.findMany.mockRejectedValue(lost);
    const op = makeOperation();

    await expect(runWithReplicaReads(() => sut(op))).resolves.toEqual(['from the primary']);
    expect(router.failed).toHaveBeenCalledWith(replica, lost);
    expect(op.onPrimary).toHaveBeenCalledWith({ where: { role: 'ADMIN' } });
  });

  it('answers from the primary a read in flight on a replica found unreachable meanwhile (one that hangs)', async () => {
    let answerLate: (rows: unknown) => void = () => undefined;
    client.user.findMany.mockReturnValue(new Promise((resolve) => (answerLate = resolve)));
    const op = makeOperation();

    const answer = runWithReplicaReads(() => sut(op));
    await vi.waitFor(() => expect(replica.listening()).toBe(1));
    replica.lose();

    await expect(answer).resolves.toEqual(['from the primary']);
    answerLate(['too late']);
    expect(router.failed).not.toHaveBeenCalled();
  });

  it('passes on any other error of a replica read, as the primary would have answered it', async () => {
    const notFound = new Error('No User found');
    client.user.findUniqueOrThrow.mockRejectedValue(notFound);
    router.failed.mockReturnValue(false);
    const op = makeOperation({ operation: 'findUniqueOrThrow' });

    await expect(runWithReplicaReads(() => sut(op))).rejects.toThrow('No User found');
    expect(op.onPrimary).not.toHaveBeenCalled();
  });
});
