import { describe, expect, it } from 'vitest';
import { noteWrite, replicaReadsAllowed, runWithReplicaReads } from './read-scope.js';

describe(runWithReplicaReads.name, () => {
  it('allows replica reads inside a unit of work until it writes, and never outside one', async () => {
    expect(replicaReadsAllowed()).toBe(false);
    noteWrite(); // outside any unit: nothing to record, no error

    const seen = await runWithReplicaReads(async () => {
      const before = replicaReadsAllowed();
      await Promise.resolve();
      noteWrite();
      // Later work of the same unit, however it is scheduled, sees the write.
      const after = await new Promise<boolean>((resolve) => setImmediate(() => resolve(replicaReadsAllowed())));
      return { before, after };
    });

    expect(seen).toEqual({ before: true, after: false });
    expect(replicaReadsAllowed()).toBe(false);
  });

  it('starts every unit of work afresh, even one opened inside another', () => {
    const inner = runWithReplicaReads(() => {
      noteWrite();
      return runWithReplicaReads(() => replicaReadsAllowed());
    });

    expect(inner).toBe(true);
  });
});
