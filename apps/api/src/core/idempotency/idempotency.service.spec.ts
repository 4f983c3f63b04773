import { beforeEach, describe, expect, it, vi } from 'vitest';
import { makeConfig, silenceLogger } from '../../../../../test/utils/builders.js';
import { IdempotencySeal } from './idempotency-seal.js';
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from './idempotency.errors.js';
import type { IdempotencyRecordState, IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService, type IdempotentRequest } from './idempotency.service.js';

const NOW = new Date('2026-03-11T12:00:00.000Z');
const MINUTE_MS = 60_000;

function makeRecords() {
  return {
    tryCreate: vi.fn<IdempotencyRepository['tryCreate']>().mockResolvedValue(null),
    find: vi.fn<IdempotencyRepository['find']>().mockResolvedValue(null),
    deleteIfStale: vi.fn<IdempotencyRepository['deleteIfStale']>().mockResolvedValue(true),
    complete: vi.fn<IdempotencyRepository['complete']>().mockResolvedValue(undefined),
    release: vi.fn<IdempotencyRepository['release']>().mockResolvedValue(undefined),
    deleteExpired: vi.fn<IdempotencyRepository['deleteExpired']>().mockResolvedValue(0),
  };
}

function makeRequest(overrides: Partial<IdempotentRequest> = {}): IdempotentRequest {
  return { userId: 'user-1', key: 'key-1', method: 'POST', path: '/v1/things', fingerprint: 'fp-1', ...overrides };
}

describe(IdempotencyService.name, () => {
  const seal = new IdempotencySeal(makeConfig());
  let records: ReturnType<typeof makeRecords>;
  let logs: ReturnType<typeof silenceLogger>;
  let sut: IdempotencyService;

  beforeEach(() => {
    logs = silenceLogger();
    records = makeRecords();
    sut = new IdempotencyService(records as unknown as IdempotencyRepository, seal);
  });

  /** A record of `request` as the repository finds it: in progress unless `body` is given. */
  function existing(overrides: Partial<IdempotencyRecordState> = {}, request = makeRequest()): IdempotencyRecordState {
    return {
      requestHash: request.fingerprint,
      response: null,
      createdAt: new Date(NOW.getTime() - MINUTE_MS),
      expiresAt: new Date(NOW.getTime() + 60 * MINUTE_MS),
      ...overrides,
    };
  }

  describe('claim', () => {
    it('claims a new key for 24 hours, by its sealed hash, and cleans up expired records', async () => {
      records.tryCreate.mockResolvedValue('record-1');

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({ kind: 'claimed', recordId: 'record-1' });
      expect(records.tryCreate).toHaveBeenCalledWith({
        userId: 'user-1',
        keyHash: seal.keyHash('user-1', 'key-1'),
        method: 'POST',
        path: '/v1/things',
        requestHash: 'fp-1',
        createdAt: NOW,
        expiresAt: new Date(NOW.getTime() + 24 * 60 * MINUTE_MS),
      });
      expect(records.tryCreate.mock.calls[0]?.[0].keyHash).not.toContain('key-1');
      expect(records.deleteExpired).toHaveBeenCalledWith(NOW, 100);
    });

    it('still answers the claim when the cleanup of expired records fails', async () => {
      records.tryCreate.mockResolvedValue('record-1');
      records.deleteExpired.mockRejectedValue(new Error('database timeout'));

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({ kind: 'claimed', recordId: 'record-1' });
      expect(logs.warn).toHaveBeenCalledWith(expect.anything(), 'Could not delete expired idempotency records');
    });

    it('replays the stored response of an identical request, opened with its key', async () => {
      const response = { status: 201, sealedBody: seal.seal('user-1', 'key-1', JSON.stringify({ id: 'thing-1' })) };
      records.find.mockResolvedValue(existing({ response }));

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({
        kind: 'replay',
        response: { status: 201, body: { id: 'thing-1' } },
      });
      expect(records.find).toHaveBeenCalledWith('user-1', seal.keyHash('user-1', 'key-1'));
    });

    it('replays a response stored without a body as a null body', async () => {
      records.find.mockResolvedValue(existing({ response: { status: 204, sealedBody: null } }));

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({
        kind: 'replay',
        response: { status: 204, body: null },
      });
    });

    it('throws IDEMPOTENCY_KEY_REUSED when the key was first used for another request', async () => {
      records.find.mockResolvedValue(existing({ requestHash: 'another-fingerprint' }));

      await expect(sut.claim(makeRequest(), NOW)).rejects.toThrow(IdempotencyKeyReusedError);
    });

    it('throws IDEMPOTENCY_KEY_IN_PROGRESS while the first request with the key runs', async () => {
      records.find.mockResolvedValue(existing());

      await expect(sut.claim(makeRequest(), NOW)).rejects.toThrow(IdempotencyKeyInProgressError);
      expect(records.deleteIfStale).not.toHaveBeenCalled();
    });

    it('refuses a stored body this key cannot open (altered in the database) like a reuse', async () => {
      const response = { status: 201, sealedBody: seal.seal('user-1', 'another-key', '{"id":"thing-1"}') };
      records.find.mockResolvedValue(existing({ response }));

      await expect(sut.claim(makeRequest(), NOW)).rejects.toThrow(IdempotencyKeyReusedError);
    });

    it('replaces a record abandoned in progress for more than 5 minutes', async () => {
      records.tryCreate.mockResolvedValueOnce(null).mockResolvedValueOnce('record-2');
      records.find.mockResolvedValue(existing({ createdAt: new Date(NOW.getTime() - 6 * MINUTE_MS) }));

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({ kind: 'claimed', recordId: 'record-2' });
      expect(records.deleteIfStale).toHaveBeenCalledWith(
        'user-1',
        seal.keyHash('user-1', 'key-1'),
        NOW,
        new Date(NOW.getTime() - 5 * MINUTE_MS),
      );
    });

    it('replaces an expired record, even of another request', async () => {
      records.tryCreate.mockResolvedValueOnce(null).mockResolvedValueOnce('record-2');
      records.find.mockResolvedValue(existing({ requestHash: 'another-fingerprint', expiresAt: NOW }));

      await expect(sut.claim(makeRequest(), NOW)).resolves.toEqual({ kind: 'claimed', recordId: 'record-2' });
      expect(records.deleteIfStale).toHaveBeenCalledTimes(1);
    });

    it('tries again when the record vanished between the insert and the read, three times at most', async () => {
      await expect(sut.claim(makeRequest(), NOW)).rejects.toThrow(IdempotencyKeyInProgressError);
      expect(records.tryCreate).toHaveBeenCalledTimes(3);
      expect(records.find).toHaveBeenCalledTimes(3);
    });
  });

  describe('complete', () => {
    it('stores the status and the body sealed with the key', async () => {
      await sut.complete({ userId: 'user-1', key: 'key-1' }, 'record-1', { status: 201, body: { id: 'thing-1' } });

      const [userId, recordId, response] = records.complete.mock.calls[0] ?? [];
      expect([userId, recordId, response?.status]).toEqual(['user-1', 'record-1', 201]);
      expect(seal.open('user-1', 'key-1', response?.sealedBody ?? new Uint8Array())).toBe('{"id":"thing-1"}');
    });

    it('stores no body for a response without one', async () => {
      await sut.complete({ userId: 'user-1', key: 'key-1' }, 'record-1', { status: 204, body: null });

      expect(records.complete).toHaveBeenCalledWith(
        'user-1',
        'record-1',
        { status: 204, sealedBody: null },
        expect.any(Date),
      );
    });
  });

  describe('release', () => {
    it('forgets the owner’s record so the key may be used again', async () => {
      await sut.release('user-1', 'record-1');

      expect(records.release).toHaveBeenCalledWith('user-1', 'record-1');
    });
  });
});
