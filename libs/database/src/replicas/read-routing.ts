import { Prisma } from '../generated/prisma/client.js';
import { noteWrite, replicaReadsAllowed } from './read-scope.js';

/** The model operations that only read: the ones a replica may answer. */
export const READ_OPERATIONS: ReadonlySet<string> = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
]);

/** A model delegate of a client, as the routing calls it (`client.user.findMany(args)`). */
type Delegates = Record<string, Record<string, (args: unknown) => Promise<unknown>> | undefined>;

/** A replica's Prisma client, as the routing sees it. */
export interface ReadReplica {
  readonly name: string;
  readonly client: object;
  /** Calls `listener` once if the replica is found unreachable; returns the function that removes it. */
  whenUnreachable(listener: () => void): () => void;
}

/** Which replica answers a read, and what a failed one means; `ReadReplicas` is the real one. */
export interface ReplicaRouter {
  /** A replica to read from now, or undefined: the primary answers. */
  pick(): ReadReplica | undefined;
  /** A read on `replica` failed with `error`: whether the primary should answer it instead. */
  failed(replica: ReadReplica, error: unknown): boolean;
}

/** Prisma passes this to every query extension without typing it: set for an operation inside `$transaction`. */
interface InternalParams {
  __internalParams?: { transaction?: unknown };
}

/** `User` (the model name Prisma passes) to `user` (its delegate on a client). */
function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

/** One operation a Prisma query extension sees. */
export interface RoutedOperation {
  /** The model (`User`); undefined for raw SQL (`$queryRaw`, `$executeRaw`...). */
  model: string | undefined;
  operation: string;
  args: unknown;
  /** Part of a `$transaction` (interactive or batch): it must run on the transaction's connection. */
  inTransaction: boolean;
  /** Runs it where Prisma would: on the primary, in its transaction if any. */
  onPrimary(args: unknown): Promise<unknown>;
}

/**
 * Where one operation runs. A model read outside a transaction, in a unit of work that has not
 * written (see `runWithReplicaReads`), goes to the replica the router picks; a replica that fails
 * it with a connection error (or a conflict with replay), or is found unreachable while it waits,
 * is reported and the primary answers instead, so a replica going away fails no request. Everything else goes to the primary: writes,
 * every operation of a transaction, and raw SQL (`$queryRaw` cannot say whether it writes); each
 * of them also sends the unit of work's later reads to the primary, so it reads its own writes.
 * `primaryOnly`: every read on the primary too.
 */
export async function routeOperation(
  router: ReplicaRouter,
  op: RoutedOperation,
  options: { primaryOnly?: boolean } = {},
): Promise<unknown> {
  const read = op.model !== undefined && READ_OPERATIONS.has(op.operation) && !op.inTransaction;
  if (!read || op.model === undefined) {
    noteWrite();
    return op.onPrimary(op.args);
  }
  const replica = options.primaryOnly || !replicaReadsAllowed() ? undefined : router.pick();
  if (!replica) return op.onPrimary(op.args);
  const delegate = (replica.client as Delegates)[delegateName(op.model)];
  const run = delegate?.[op.operation];
  if (!delegate || !run) return op.onPrimary(op.args);
  try {
    const read = await readUnlessLost(replica, run.call(delegate, op.args));
    return read.lost ? op.onPrimary(op.args) : read.answer;
  } catch (error) {
    if (!router.failed(replica, error)) throw error;
    return op.onPrimary(op.args);
  }
}

/**
 * The replica's answer, or `lost` as soon as the replica is found unreachable (by a check, or by
 * another read failing): a server that hangs may never answer, nor close the connection.
 */
async function readUnlessLost(
  replica: ReadReplica,
  read: Promise<unknown>,
): Promise<{ lost: false; answer: unknown } | { lost: true }> {
  let stopListening: () => void = () => undefined;
  const lost = new Promise<{ lost: true }>((resolve) => {
    stopListening = replica.whenUnreachable(() => resolve({ lost: true }));
  });
  try {
    return await Promise.race([read.then((answer) => ({ lost: false as const, answer })), lost]);
  } finally {
    stopListening();
    // Abandoned, it may still fail later: that is no one's error any more.
    read.catch(() => undefined);
  }
}

/**
 * The Prisma client extension that routes every operation by {@link routeOperation}: reads to
 * the replicas, the rest to the primary. `primaryOnly`: a client for reads that must see the
 * primary's latest state (security checks, read-then-write decisions), which still counts its
 * writes.
 *
 * Why not `@prisma/extension-read-replicas` (0.5.0, for Prisma 7): it picks a replica at random
 * with no health or lag check, retries nothing on the primary, and has no read-your-writes.
 */
export function readRouting(router: ReplicaRouter, options: { primaryOnly?: boolean } = {}) {
  return Prisma.defineExtension({
    name: options.primaryOnly ? 'read-replicas-primary-only' : 'read-replicas',
    query: {
      $allOperations(params) {
        const query = params.query as (args: unknown) => Promise<unknown>;
        const op: RoutedOperation = {
          model: params.model,
          operation: params.operation,
          args: params.args as unknown,
          inTransaction: (params as InternalParams).__internalParams?.transaction !== undefined,
          onPrimary: (args) => query(args),
        };
        return routeOperation(router, op, options);
      },
    },
  });
}
