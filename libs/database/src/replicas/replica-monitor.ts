import { describeDatabaseError } from '../database-errors.js';
import type { ReplicaHealth } from './replica-health.js';
import { PrimaryWalHistory, type WalPosition } from './wal-history.js';

/** The primary's current WAL position (`pg_current_wal_lsn()`). */
export interface PrimaryWalProbe {
  position(): Promise<WalPosition>;
}

/** What a replica says of itself: `pg_is_in_recovery()` and `pg_last_wal_replay_lsn()` (null on a primary). */
export interface ReplicaProbe {
  replay(): Promise<{ standby: boolean; replayed: WalPosition | null }>;
}

export interface MonitoredReplica {
  health: ReplicaHealth;
  probe: ReplicaProbe;
}

export interface ReplicaMonitorOptions {
  maxLagMs: number;
  intervalMs: number;
}

/**
 * Checks the replicas in the background, each on its own timer so a hanging one delays no other:
 * reachable, a standby, and how far it has replayed against the primary's WAL position, sampled
 * on a timer of its own half an interval earlier (so a replica under steady writes has had half
 * an interval to replay what the sample names). Freshness is proved by WAL position only
 * ({@link PrimaryWalHistory}), so an idle primary keeps its replicas in use.
 */
export class ReplicaMonitor {
  private readonly history: PrimaryWalHistory;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** When the primary's position was first sampled: until a bound later, the samples are too few to show lag. */
  private firstSampleAt: number | undefined;

  constructor(
    private readonly primary: PrimaryWalProbe,
    private readonly replicas: readonly MonitoredReplica[],
    private readonly options: ReplicaMonitorOptions,
    private readonly clock: () => number = Date.now,
  ) {
    // Older samples could only prove a freshness that has already run out.
    this.history = new PrimaryWalHistory(options.maxLagMs + 2 * options.intervalMs);
  }

  /** One round now, the primary first: at boot, so reads use the replicas from the first request. */
  async checkAll(): Promise<void> {
    await this.samplePrimary();
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica)));
  }

  /** Checks every interval from now on, until {@link stop}. */
  start(): void {
    const { intervalMs } = this.options;
    this.repeat(intervalMs, () => this.samplePrimary());
    for (const replica of this.replicas) this.repeat(intervalMs * 1.5, () => this.checkReplica(replica));
  }

  /** No check starts any more; resolves when those under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  async samplePrimary(): Promise<void> {
    const at = this.clock();
    try {
      this.history.record(at, await this.primary.position());
      this.firstSampleAt ??= at;
    } catch {
      // No sample this time: the replicas' proofs of freshness run out unless the primary answers
      // again. The primary's own outage is readiness's business, and each query's.
    }
  }

  async checkReplica({ health, probe }: MonitoredReplica): Promise<void> {
    let found: Awaited<ReturnType<ReplicaProbe['replay']>>;
    try {
      found = await probe.replay();
    } catch (error) {
      health.update({ kind: 'unreachable', reason: describeDatabaseError(error) });
      return;
    }
    if (!found.standby || found.replayed === null) {
      health.update({ kind: 'not-standby' });
      return;
    }
    const now = this.clock();
    // It holds everything the primary had at `reached`: its data is at most `now - reached` old.
    const reached = this.history.reachedAt(found.replayed);
    if (reached !== undefined && now < reached + this.options.maxLagMs) {
      health.update({ kind: 'in-use', freshUntil: reached + this.options.maxLagMs });
      return;
    }
    // Just after boot, a replica a moment behind the first samples is not shown to be lagging yet:
    // it stays unchecked (and unused, unlogged) until it catches up, or the samples span the bound.
    const samplingSince = this.firstSampleAt === undefined ? 0 : now - this.firstSampleAt;
    if (health.state.kind === 'unknown' && reached === undefined && samplingSince < this.options.maxLagMs) return;
    const missed = this.history.missedSince(found.replayed);
    health.update({
      kind: 'lagging',
      atLeastMs: missed === undefined ? 0 : Math.max(0, now - missed),
      atMostMs: reached === undefined ? undefined : now - reached,
    });
  }

  /** Runs `check` after `firstDelayMs`, then once an interval, never two at once. */
  private repeat(firstDelayMs: number, check: () => Promise<void>): void {
    const schedule = (delayMs: number) => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const started = this.clock();
        const run = check()
          .catch(() => undefined)
          .finally(() => {
            this.inFlight.delete(run);
            schedule(Math.max(0, this.options.intervalMs - (this.clock() - started)));
          });
        this.inFlight.add(run);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    };
    schedule(firstDelayMs);
  }
}
