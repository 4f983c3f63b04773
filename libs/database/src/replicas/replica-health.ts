/** What the last check (or a failed read) found out about a replica. */
export type ReplicaState =
  /** Not checked yet: not read from. */
  | { kind: 'unknown' }
  /** Reachable, a standby, and provably within the lag bound until `freshUntil` (epoch ms). */
  | { kind: 'in-use'; freshUntil: number }
  /**
   * Not provably within the bound: its data is at least `atLeastMs` old (0: no position of the
   * primary since shows it behind) and at most `atMostMs` (undefined: it reached none kept).
   */
  | { kind: 'lagging'; atLeastMs: number; atMostMs: number | undefined }
  /** The check or a read could not reach it. */
  | { kind: 'unreachable'; reason: string }
  /** Answers, but is not replaying a primary's WAL (`pg_is_in_recovery()` is false): promoted, or no replica. */
  | { kind: 'not-standby' };

/** Where a replica's state changes are said: Nest's `Logger` is one. */
export interface ReplicaLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How far behind a lagging replica is, as far as the primary's sampled positions tell. */
function lagText({ atLeastMs, atMostMs }: { atLeastMs: number; atMostMs: number | undefined }): string {
  if (atMostMs === undefined) return `more than ${atLeastMs} ms behind the primary`;
  if (atLeastMs === 0) return `up to ${atMostMs} ms behind the primary (no recent WAL position of the primary)`;
  return `${atLeastMs}-${atMostMs} ms behind the primary`;
}

/**
 * One replica's state: whether reads may go to it now, and one log line each time that changes
 * (never one per query or per check).
 */
export class ReplicaHealth {
  private current: ReplicaState = { kind: 'unknown' };
  /** Called once, the next time it becomes unreachable: reads still waiting on it. */
  private readonly unreachableListeners = new Set<() => void>();

  constructor(
    /** host:port/database, never the credentials. */
    readonly name: string,
    private readonly maxLagMs: number,
    private readonly logger: ReplicaLog,
  ) {}

  get state(): ReplicaState {
    return this.current;
  }

  /**
   * Whether a read may go to it at `now`. An in-use replica stops being usable by itself when its
   * proof of freshness runs out, whether or not the next check has come.
   */
  usable(now: number): boolean {
    return this.current.kind === 'in-use' && now < this.current.freshUntil;
  }

  /**
   * Calls `listener` the next time the replica becomes unreachable (a read of it in flight is then
   * answered elsewhere rather than waiting on a server that may never answer). Returns the function
   * that removes it, which a read calls once it has its answer.
   */
  whenUnreachable(listener: () => void): () => void {
    this.unreachableListeners.add(listener);
    return () => this.unreachableListeners.delete(listener);
  }

  update(next: ReplicaState): void {
    const previous = this.current;
    this.current = next;
    if (previous.kind === next.kind) return;
    if (next.kind === 'unreachable') {
      const listeners = [...this.unreachableListeners];
      this.unreachableListeners.clear();
      for (const listener of listeners) listener();
    }
    switch (next.kind) {
      case 'in-use':
        this.logger.log(`Replica ${this.name}: ${previous.kind === 'unknown' ? 'in use' : 'back in use'}`);
        return;
      case 'lagging':
        this.logger.warn(`Replica ${this.name}: skipped, ${lagText(next)} (bound ${this.maxLagMs} ms)`);
        return;
      case 'unreachable':
        this.logger.warn(`Replica ${this.name}: skipped, unreachable: ${next.reason}`);
        return;
      case 'not-standby':
        this.logger.error(
          `Replica ${this.name}: skipped, it is not a standby (pg_is_in_recovery() is false): ` +
            "promoted, or not a replica; reads there would miss the primary's writes",
        );
        return;
      case 'unknown':
        return;
    }
  }
}
