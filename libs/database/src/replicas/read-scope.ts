import { AsyncLocalStorage } from 'node:async_hooks';

/** What one unit of work (an HTTP request) has done to the database so far. */
interface UnitOfWork {
  /** It wrote, or may have (a write that failed, a transaction, raw SQL): its reads need the primary. */
  wrote: boolean;
}

const units = new AsyncLocalStorage<UnitOfWork>();

/**
 * Runs `fn` as one unit of work whose reads may go to a replica until it writes: read-your-writes
 * within it, whatever replica lag. The app opens one per HTTP request (a Fastify hook); code
 * outside any (boot, seed, CLIs, background jobs not started by a request) reads the primary.
 */
export function runWithReplicaReads<T>(fn: () => T): T {
  return units.run({ wrote: false }, fn);
}

/** Whether a read made now may go to a replica: inside a unit of work that has not written. */
export function replicaReadsAllowed(): boolean {
  const unit = units.getStore();
  return unit !== undefined && !unit.wrote;
}

/** Records that the current unit of work wrote (or may have): its later reads go to the primary. */
export function noteWrite(): void {
  const unit = units.getStore();
  if (unit) unit.wrote = true;
}
