import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { MemoryMarkerSet, type MarkerSet } from '@app/redis';
import { makeConfig, makeRedisConnectionWithoutRedis, silenceLogger } from '../../../../../test/utils/builders.js';
import type { RevokedSessionsRepository } from './revoked-sessions.repository.js';
import { RevokedSessions } from './revoked-sessions.js';

const NOW = new Date('2026-03-11T12:00:00.000Z').getTime();
const TTL_SECONDS = 900;
const COMPLETE_FOR_MS = 120_000;

/** Lets the background work (a rebuild, a retry) run to its end: every mock answers at once. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The markers are the in-process MarkerSet @app/redis builds without Redis, its methods spied on:
 * they run for real unless a test makes one answer what Redis down or refusing writes would.
 */
function spyOnMarkers() {
  const prototype: MarkerSet = MemoryMarkerSet.prototype;
  return {
    read: vi.spyOn(prototype, 'read'),
    add: vi.spyOn(prototype, 'add'),
    markIncomplete: vi.spyOn(prototype, 'markIncomplete'),
    beginRebuild: vi.spyOn(prototype, 'beginRebuild'),
    finishRebuild: vi.spyOn(prototype, 'finishRebuild'),
  };
}

describe(RevokedSessions.name, () => {
  let sessions: {
    revokedSince: Mock<RevokedSessionsRepository['revokedSince']>;
    isRevoked: Mock<RevokedSessionsRepository['isRevoked']>;
  };
  let markers: ReturnType<typeof spyOnMarkers>;
  let logs: ReturnType<typeof silenceLogger>;
  let sut: RevokedSessions;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    logs = silenceLogger();
    markers = spyOnMarkers();
    sessions = {
      revokedSince: vi.fn<RevokedSessionsRepository['revokedSince']>().mockResolvedValue([]),
      isRevoked: vi.fn<RevokedSessionsRepository['isRevoked']>().mockResolvedValue(false),
    };
    sut = new RevokedSessions(
      sessions as unknown as RevokedSessionsRepository,
      makeRedisConnectionWithoutRedis(),
      makeConfig({ ACCESS_TOKEN_TTL: `${TTL_SECONDS}s` }),
    );
  });

  afterEach(async () => {
    await sut.beforeApplicationShutdown();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  /** Boots the service and lets its first rebuild declare the markers complete. */
  async function bootComplete() {
    sut.onApplicationBootstrap();
    await settle();
    sessions.revokedSince.mockClear();
    markers.beginRebuild.mockClear();
  }

  describe('isRevoked', () => {
    it('answers revoked for a marked session, without asking the database', async () => {
      await sut.mark(['session-1']);

      await expect(sut.isRevoked('session-1')).resolves.toBe(true);
      expect(sessions.isRevoked).not.toHaveBeenCalled();
    });

    it('trusts a miss while a rebuild vouches for the markers being complete', async () => {
      await bootComplete();

      await expect(sut.isRevoked('session-1')).resolves.toBe(false);
      expect(sessions.isRevoked).not.toHaveBeenCalled();
    });

    it('asks the database on a miss while the markers are not known complete, and starts a rebuild', async () => {
      sessions.isRevoked.mockResolvedValue(true);

      await expect(sut.isRevoked('session-1')).resolves.toBe(true);
      expect(sessions.isRevoked).toHaveBeenCalledWith('session-1');
      expect(markers.beginRebuild).toHaveBeenCalledTimes(1);
    });

    it('asks the database again once the vouching has lapsed', async () => {
      await bootComplete();
      vi.setSystemTime(NOW + COMPLETE_FOR_MS + 1);

      await sut.isRevoked('session-1');

      expect(sessions.isRevoked).toHaveBeenCalledWith('session-1');
    });

    it('starts the next rebuild when less than a minute of vouching is left, still trusting the miss', async () => {
      await bootComplete();
      vi.setSystemTime(NOW + COMPLETE_FOR_MS - 59_000);

      await expect(sut.isRevoked('session-1')).resolves.toBe(false);
      expect(sessions.isRevoked).not.toHaveBeenCalled();
      expect(markers.beginRebuild).toHaveBeenCalledTimes(1);
    });

    it('asks the database when the markers cannot be read at all', async () => {
      await bootComplete();
      markers.read.mockResolvedValue({ status: 'unavailable' });
      sessions.isRevoked.mockResolvedValue(true);

      await expect(sut.isRevoked('session-1')).resolves.toBe(true);
      expect(sessions.isRevoked).toHaveBeenCalledWith('session-1');
    });
  });

  describe('mark', () => {
    it('marks the sessions for one access-token lifetime', async () => {
      await sut.mark(['session-1', 'session-2']);

      const expiresAt = NOW + TTL_SECONDS * 1000;
      expect(markers.add).toHaveBeenCalledWith([
        { id: 'session-1', expiresAt },
        { id: 'session-2', expiresAt },
      ]);
    });

    it('refuses an unwritten session here, tells the markers they are incomplete, and retries every second', async () => {
      await bootComplete();
      markers.add.mockResolvedValueOnce(false).mockResolvedValueOnce(false);

      await sut.mark(['session-1']);

      expect(logs.error).toHaveBeenCalledWith(expect.stringContaining('Could not record revoked sessions'));
      expect(markers.markIncomplete).toHaveBeenCalledTimes(1);
      markers.read.mockClear();
      await expect(sut.isRevoked('session-1')).resolves.toBe(true);
      expect(markers.read).not.toHaveBeenCalled();

      await vi.advanceTimersByTimeAsync(1_000); // the first retry fails too
      await vi.advanceTimersByTimeAsync(1_000);

      const entry = { id: 'session-1', expiresAt: NOW + TTL_SECONDS * 1000 };
      expect(markers.add).toHaveBeenNthCalledWith(3, [entry], { background: true });
      expect(markers.add).toHaveBeenCalledTimes(4);
      markers.read.mockClear();
      await expect(sut.isRevoked('session-1')).resolves.toBe(true);
      expect(markers.read).toHaveBeenCalledWith('session-1');
    });

    it('writes nothing for no sessions', async () => {
      await sut.mark([]);

      expect(markers.add).not.toHaveBeenCalled();
    });
  });

  describe('rebuild', () => {
    const row = (i: number) => ({ id: `session-${String(i).padStart(4, '0')}`, revokedAt: new Date(NOW - i) });

    it('copies the revocations of the last access-token lifetime, page after page, then declares the set complete', async () => {
      const first = Array.from({ length: 1_000 }, (_, i) => row(i));
      sessions.revokedSince.mockResolvedValueOnce(first).mockResolvedValueOnce([row(1_000)]);

      sut.onApplicationBootstrap();
      await settle();

      const since = new Date(NOW - TTL_SECONDS * 1000);
      expect(sessions.revokedSince.mock.calls).toEqual([
        [since, undefined, 1_000],
        [since, 'session-0999', 1_000],
      ]);
      expect(markers.add).toHaveBeenLastCalledWith(
        [{ id: 'session-1000', expiresAt: NOW - 1_000 + TTL_SECONDS * 1000 }],
        { background: true },
      );
      expect(markers.finishRebuild).toHaveBeenCalledWith(expect.any(String), NOW + COMPLETE_FOR_MS);
    });

    it('gives the rebuild up, vouching for nothing, when a page cannot be written', async () => {
      markers.add.mockResolvedValueOnce(false);

      sut.onApplicationBootstrap();
      await settle();

      expect(markers.finishRebuild).toHaveBeenCalledWith(expect.any(String), undefined);
      await sut.isRevoked('session-1');
      expect(sessions.isRevoked).toHaveBeenCalledWith('session-1');
    });

    it('gives the rebuild up, and logs it, when the database fails', async () => {
      sessions.revokedSince.mockRejectedValue(new Error('database down'));

      sut.onApplicationBootstrap();
      await settle();

      expect(markers.finishRebuild).toHaveBeenCalledWith(expect.any(String), undefined);
      expect(logs.warn).toHaveBeenCalledWith('Rebuilding the revocation markers failed: Error: database down');
    });

    it('runs one rebuild at a time, and tries a failed one again only a second later', async () => {
      markers.add.mockResolvedValueOnce(false);

      sut.onApplicationBootstrap();
      await sut.isRevoked('session-1'); // while the rebuild runs
      await settle(); // it failed
      await sut.isRevoked('session-2');
      expect(markers.beginRebuild).toHaveBeenCalledTimes(1);

      vi.setSystemTime(NOW + 1_000);
      await sut.isRevoked('session-3');
      expect(markers.beginRebuild).toHaveBeenCalledTimes(2);
    });
  });
});
