import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReplicaHealth, type ReplicaLog } from './replica-health.js';
import { ReplicaMonitor, type PrimaryWalProbe, type ReplicaProbe } from './replica-monitor.js';
import type { WalPosition } from './wal-history.js';

const NOW = new Date('2026-12-01T12:00:00.000Z').getTime();
const MAX_LAG_MS = 1000;
const INTERVAL_MS = 200;

/** A server whose answers the test sets: the primary's WAL position, a replica's replay. */
function makePrimary(position: WalPosition = 100n) {
  const probe = { position: vi.fn<PrimaryWalProbe['position']>().mockResolvedValue(position) };
  return { probe, at: (next: WalPosition) => probe.position.mockResolvedValue(next) };
}

function makeReplica(replayed: WalPosition | null = 100n, standby = true) {
  const probe = { replay: vi.fn<ReplicaProbe['replay']>().mockResolvedValue({ standby, replayed }) };
  const log = {
    log: vi.fn<ReplicaLog['log']>(),
    warn: vi.fn<ReplicaLog['warn']>(),
    error: vi.fn<ReplicaLog['error']>(),
  };
  const health = new ReplicaHealth('replica:5432/app', MAX_LAG_MS, log);
  return {
    probe,
    log,
    health,
    at: (next: WalPosition) => probe.replay.mockResolvedValue({ standby: true, replayed: next }),
  };
}

describe(ReplicaMonitor.name, () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function makeSut(primary = makePrimary(), replicas = [makeReplica()]) {
    const sut = new ReplicaMonitor(
      primary.probe,
      replicas.map(({ health, probe }) => ({ health, probe })),
      { maxLagMs: MAX_LAG_MS, intervalMs: INTERVAL_MS },
    );
    return { sut, primary, replicas };
  }

  it("puts a replica that has replayed the primary's position in use, fresh for the bound from that sample", async () => {
    const { sut, replicas } = makeSut();

    await sut.checkAll();

    expect(replicas[0]?.health.state).toEqual({ kind: 'in-use', freshUntil: NOW + MAX_LAG_MS });
    expect(replicas[0]?.log.log).toHaveBeenCalledWith('Replica replica:5432/app: in use');
  });

  it('keeps the replicas of an idle primary in use: its position stands still, and they have it', async () => {
    const { sut, replicas } = makeSut(makePrimary(500n), [makeReplica(500n)]);

    for (let check = 0; check < 50; check++) {
      await sut.checkAll();
      vi.advanceTimersByTime(INTERVAL_MS);
    }

    expect(replicas[0]?.health.usable(Date.now())).toBe(true);
    expect(replicas[0]?.log.warn).not.toHaveBeenCalled();
  });

  it('takes a replica out of use once it has replayed nothing the primary wrote in the last bound', async () => {
    const primary = makePrimary(100n);
    const replica = makeReplica(100n);
    const { sut } = makeSut(primary, [replica]);
    await sut.checkAll();
    // Its replay stops at 100 while the primary writes on.
    let position = 100n;
    const step = async () => {
      vi.advanceTimersByTime(INTERVAL_MS);
      position += 10n;
      primary.at(position);
      await sut.checkAll();
    };

    for (let elapsed = INTERVAL_MS; elapsed < MAX_LAG_MS; elapsed += INTERVAL_MS) await step();
    expect(replica.health.state.kind).toBe('in-use');
    await step();

    expect(replica.health.state).toEqual({
      kind: 'lagging',
      atLeastMs: MAX_LAG_MS - INTERVAL_MS,
      atMostMs: MAX_LAG_MS,
    });
    expect(replica.health.usable(Date.now())).toBe(false);
    expect(replica.log.warn.mock.calls).toEqual([
      ['Replica replica:5432/app: skipped, 800-1000 ms behind the primary (bound 1000 ms)'],
    ]);

    // It replays again: it has what the primary had one check ago, within the bound.
    replica.at(position);
    await step();
    expect(replica.health.state).toEqual({ kind: 'in-use', freshUntil: Date.now() - INTERVAL_MS + MAX_LAG_MS });
    expect(replica.log.log).toHaveBeenLastCalledWith('Replica replica:5432/app: back in use');
  });

  it('says nothing at boot of a replica a moment behind the first samples, until it catches up or a bound has passed', async () => {
    const primary = makePrimary(100n);
    const slow = makeReplica(90n);
    const stuck = makeReplica(90n);
    const { sut } = makeSut(primary, [slow, stuck]);

    await sut.checkAll();
    expect(slow.health.state).toEqual({ kind: 'unknown' });
    vi.advanceTimersByTime(INTERVAL_MS);
    slow.at(100n);
    await sut.checkAll();
    expect(slow.health.state.kind).toBe('in-use');
    expect(slow.log.warn).not.toHaveBeenCalled();

    vi.advanceTimersByTime(MAX_LAG_MS);
    await sut.checkAll();
    expect(stuck.health.state).toEqual({ kind: 'lagging', atLeastMs: MAX_LAG_MS + INTERVAL_MS, atMostMs: undefined });
    expect(stuck.log.warn).toHaveBeenCalledWith(
      'Replica replica:5432/app: skipped, more than 1200 ms behind the primary (bound 1000 ms)',
    );
  });

  it('skips a replica that does not answer, and one that is not a standby', async () => {
    const down = makeReplica();
    down.probe.replay.mockRejectedValue(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.2:5432'), { code: 'ECONNREFUSED' }),
    );
    const promoted = makeReplica(null, false);
    const { sut } = makeSut(makePrimary(), [down, promoted]);

    await sut.checkAll();

    expect(down.health.state).toEqual({ kind: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.2:5432' });
    expect(promoted.health.state).toEqual({ kind: 'not-standby' });
    expect(down.health.usable(Date.now()) || promoted.health.usable(Date.now())).toBe(false);
  });

  it('stops vouching for replicas when the primary no longer answers: their lag cannot be measured', async () => {
    const primary = makePrimary(100n);
    const replica = makeReplica(100n);
    const { sut } = makeSut(primary, [replica]);
    await sut.checkAll();
    primary.probe.position.mockRejectedValue(new Error('connect ECONNREFUSED'));

    vi.advanceTimersByTime(MAX_LAG_MS);
    await sut.checkAll();

    expect(replica.health.state).toEqual({ kind: 'lagging', atLeastMs: 0, atMostMs: MAX_LAG_MS });
  });

  it('checks on timers of their own, the replicas half an interval after the primary, until stopped', async () => {
    const primary = makePrimary();
    const hanging = makeReplica();
    const fine = makeReplica();
    // A replica that never answers delays no other check.
    hanging.probe.replay.mockReturnValue(new Promise(() => undefined));
    const { sut } = makeSut(primary, [hanging, fine]);

    sut.start();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(primary.probe.position).toHaveBeenCalledTimes(1);
    expect(fine.probe.replay).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(fine.probe.replay).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(4 * INTERVAL_MS);

    expect(primary.probe.position).toHaveBeenCalledTimes(5);
    expect(fine.probe.replay).toHaveBeenCalledTimes(5);
    expect(hanging.probe.replay).toHaveBeenCalledTimes(1);
    expect(fine.health.usable(Date.now())).toBe(true);

    const stopped = sut.stop();
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(primary.probe.position).toHaveBeenCalledTimes(5);
    expect(fine.probe.replay).toHaveBeenCalledTimes(5);
    // stop() waits for checks under way; the hanging one never ends, so it is not awaited here.
    void stopped;
  });
});
