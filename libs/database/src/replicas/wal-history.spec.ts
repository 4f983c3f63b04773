import { describe, expect, it } from 'vitest';
import { PrimaryWalHistory } from './wal-history.js';

const T = 1_000_000;

describe(PrimaryWalHistory.name, () => {
  /** The primary at 100, 200, 300 (WAL bytes) one second apart. */
  function makeHistory(keepMs = 10_000) {
    const sut = new PrimaryWalHistory(keepMs);
    sut.record(T, 100n);
    sut.record(T + 1000, 200n);
    sut.record(T + 2000, 300n);
    return sut;
  }

  it('dates what a replica holds by the newest position of the primary it has reached', () => {
    const sut = makeHistory();

    expect(sut.reachedAt(300n)).toBe(T + 2000);
    expect(sut.reachedAt(250n)).toBe(T + 1000);
    expect(sut.reachedAt(100n)).toBe(T);
    expect(sut.reachedAt(99n)).toBeUndefined();
  });

  it('dates what a replica misses by the oldest position of the primary it has not reached', () => {
    const sut = makeHistory();

    expect(sut.missedSince(99n)).toBe(T);
    expect(sut.missedSince(250n)).toBe(T + 2000);
    expect(sut.missedSince(300n)).toBeUndefined();
  });

  it("keeps an idle primary's replicas current: a position that does not move is reached", () => {
    const sut = new PrimaryWalHistory(10_000);
    for (let second = 0; second < 5; second++) sut.record(T + second * 1000, 500n);

    expect(sut.reachedAt(500n)).toBe(T + 4000);
    expect(sut.missedSince(500n)).toBeUndefined();
  });

  it('forgets samples older than it keeps, so an old position proves nothing any more', () => {
    const sut = new PrimaryWalHistory(1500);
    sut.record(T, 100n);
    sut.record(T + 1000, 200n);
    sut.record(T + 2000, 300n);

    expect(sut.reachedAt(250n)).toBe(T + 1000);
    // It reached the first sample only, which is gone: nothing dates what it holds.
    expect(sut.reachedAt(150n)).toBeUndefined();
    expect(sut.missedSince(150n)).toBe(T + 1000);
  });

  it('ignores a sample asked for before the newest, and starts afresh when the position goes back', () => {
    const sut = makeHistory();
    sut.record(T + 1500, 250n);
    expect(sut.reachedAt(260n)).toBe(T + 1000);

    // Another server at that address now (restored, failed over): the old positions mean nothing.
    sut.record(T + 3000, 50n);
    expect(sut.reachedAt(60n)).toBe(T + 3000);
    expect(sut.missedSince(40n)).toBe(T + 3000);
    expect(sut.reachedAt(300n)).toBe(T + 3000);
  });
});
