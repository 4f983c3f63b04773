import { describe, expect, it, vi } from 'vitest';
import { ReplicaHealth, type ReplicaLog } from './replica-health.js';

const NOW = 1_000_000;

function makeLog() {
  return { log: vi.fn<ReplicaLog['log']>(), warn: vi.fn<ReplicaLog['warn']>(), error: vi.fn<ReplicaLog['error']>() };
}

describe(ReplicaHealth.name, () => {
  function makeSut() {
    const log = makeLog();
    return { log, sut: new ReplicaHealth('replica-1:5432/app', 1000, log) };
  }

  it('reads from nothing before the first check', () => {
    const { sut, log } = makeSut();

    expect(sut.state).toEqual({ kind: 'unknown' });
    expect(sut.usable(NOW)).toBe(false);
    expect(log.log).not.toHaveBeenCalled();
  });

  it('is usable while its proof of freshness lasts, and no longer, whether or not a check came', () => {
    const { sut } = makeSut();
    sut.update({ kind: 'in-use', freshUntil: NOW + 500 });

    expect(sut.usable(NOW)).toBe(true);
    expect(sut.usable(NOW + 499)).toBe(true);
    expect(sut.usable(NOW + 500)).toBe(false);
  });

  it('logs each change once, never each check that finds the same', () => {
    const { sut, log } = makeSut();

    sut.update({ kind: 'in-use', freshUntil: NOW + 500 });
    sut.update({ kind: 'in-use', freshUntil: NOW + 700 });
    sut.update({ kind: 'lagging', atLeastMs: 1200, atMostMs: 1400 });
    sut.update({ kind: 'lagging', atLeastMs: 2200, atMostMs: 2400 });
    sut.update({ kind: 'in-use', freshUntil: NOW + 900 });
    sut.update({ kind: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.2:5432' });
    sut.update({ kind: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.2:5432' });
    sut.update({ kind: 'not-standby' });

    expect(log.log.mock.calls).toEqual([
      ['Replica replica-1:5432/app: in use'],
      ['Replica replica-1:5432/app: back in use'],
    ]);
    expect(log.warn.mock.calls).toEqual([
      ['Replica replica-1:5432/app: skipped, 1200-1400 ms behind the primary (bound 1000 ms)'],
      ['Replica replica-1:5432/app: skipped, unreachable: connect ECONNREFUSED 10.0.0.2:5432'],
    ]);
    expect(log.error.mock.calls).toEqual([
      [
        "Replica replica-1:5432/app: skipped, it is not a standby (pg_is_in_recovery() is false): promoted, or not a replica; reads there would miss the primary's writes",
      ],
    ]);
    expect(sut.usable(NOW)).toBe(false);
  });

  it("says how far behind it is as far as the primary's positions tell", () => {
    const lines = (state: { atLeastMs: number; atMostMs: number | undefined }) => {
      const { sut, log } = makeSut();
      sut.update({ kind: 'lagging', ...state });
      return log.warn.mock.calls[0]?.[0];
    };

    expect(lines({ atLeastMs: 3000, atMostMs: undefined })).toBe(
      'Replica replica-1:5432/app: skipped, more than 3000 ms behind the primary (bound 1000 ms)',
    );
    expect(lines({ atLeastMs: 0, atMostMs: 1100 })).toBe(
      'Replica replica-1:5432/app: skipped, up to 1100 ms behind the primary (no recent WAL position of the primary) (bound 1000 ms)',
    );
  });
});
