/** A position in a server's write-ahead log, in bytes from its start (`pg_lsn - '0/0'`). */
export type WalPosition = bigint;

interface Sample {
  /** When the position was asked for (epoch ms): the server's position then was at most `position`. */
  at: number;
  position: WalPosition;
}

/**
 * The primary's WAL position over the last moments, which tells how stale a replica's data is
 * from how far it has replayed: a replica that replayed up to a position the primary had at time
 * t holds everything committed before t. Replay timestamps can't tell that: on an idle primary
 * nothing is committed, and a replica that has replayed everything looks older every second.
 */
export class PrimaryWalHistory {
  /** Oldest first; positions never go back. */
  private samples: Sample[] = [];

  /** `keepMs`: how far back samples are kept (the lag bound and a check interval are enough). */
  constructor(private readonly keepMs: number) {}

  /** Records the primary's position, asked for at `at`. */
  record(at: number, position: WalPosition): void {
    const newest = this.samples.at(-1);
    if (newest && at < newest.at) return;
    // Gone back: another server answers at that address now (restored, failed over); start afresh.
    if (newest && position < newest.position) this.samples = [];
    this.samples.push({ at, position });
    const oldest = at - this.keepMs;
    const firstKept = this.samples.findIndex((sample) => sample.at >= oldest);
    if (firstKept > 0) this.samples = this.samples.slice(firstKept);
  }

  /**
   * When the primary was last seen at a position a replica that replayed up to `replayed` has
   * reached: the replica holds everything committed before then, so its data is at most that old.
   * Undefined when it reached no sample kept.
   */
  reachedAt(replayed: WalPosition): number | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i];
      if (sample && sample.position <= replayed) return sample.at;
    }
    return undefined;
  }

  /**
   * When the primary was first seen at a position such a replica has not reached: it misses WAL
   * written by then, so its data is at least that old. Undefined when it reached every sample.
   */
  missedSince(replayed: WalPosition): number | undefined {
    return this.samples.find((sample) => sample.position > replayed)?.at;
  }
}
