import { Injectable, Logger } from '@nestjs/common';
import { IdempotencySeal } from './idempotency-seal.js';
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from './idempotency.errors.js';
import { IdempotencyRepository, type IdempotencyRecordState, type SealedResponse } from './idempotency.repository.js';

/** How long a key is remembered; after that it is treated as never used. */
const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;
/**
 * A record still in progress after this long belongs to a request that died before it could store
 * or release it (a crash, a lost database connection): it no longer blocks its key. No request of
 * this API runs that long; one that did would at worst run twice, with the same provider key.
 */
const IDEMPOTENCY_ABANDONED_AFTER_SECONDS = 5 * 60;
/** Expired records deleted, at most, each time a new key is recorded: the table's cleanup. */
const CLEANUP_BATCH_SIZE = 100;
/** A record may vanish between a failed insert and its read (released, stale): then try again. */
const MAX_CLAIM_ATTEMPTS = 3;

/** A response kept for replay: its status and JSON body (null when it had none). */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** Whose key: what a record is found, and its response sealed, by. */
export interface IdempotencyKeyOf {
  userId: string;
  key: string;
}

export interface IdempotentRequest {
  userId: string;
  key: string;
  method: string;
  path: string;
  /** See requestFingerprint(). */
  fingerprint: string;
}

export type IdempotencyClaim =
  /** First request with this key: run it, then `complete()` or `release()` the record. */
  | { kind: 'claimed'; recordId: string }
  /** Already answered: send this again. */
  | { kind: 'replay'; response: StoredResponse };

/**
 * The rules of the Idempotency-Key header (IETF draft "The Idempotency-Key HTTP Header Field"):
 * keys are scoped per user and remembered for 24 hours; a key names one request (method, path,
 * body) and its response. Records keep neither the key nor the response readable ({@link IdempotencySeal}).
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly records: IdempotencyRepository,
    private readonly seal: IdempotencySeal,
  ) {}

  /**
   * Claims the key for this request, or returns the stored response of an earlier identical one.
   * Throws IDEMPOTENCY_KEY_REUSED (422) when the key was used for another request, and
   * IDEMPOTENCY_KEY_IN_PROGRESS (409) while the first request with it is still running.
   */
  async claim(request: IdempotentRequest, now = new Date()): Promise<IdempotencyClaim> {
    const { userId, key } = request;
    const keyHash = this.seal.keyHash(userId, key);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const recordId = await this.records.tryCreate({
        userId,
        keyHash,
        method: request.method,
        path: request.path,
        requestHash: request.fingerprint,
        createdAt: now,
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_SECONDS * 1000),
      });
      if (recordId) {
        // Housekeeping only: its failure must not fail a request whose key is claimed already (the
        // key would stay "in progress" for 5 minutes).
        await this.records.deleteExpired(now, CLEANUP_BATCH_SIZE).catch((error: unknown) => {
          this.logger.warn({ err: error }, 'Could not delete expired idempotency records');
        });
        return { kind: 'claimed', recordId };
      }
      const existing = await this.records.find(userId, keyHash);
      if (!existing) continue;
      if (this.isStale(existing, now)) {
        await this.records.deleteIfStale(userId, keyHash, now, this.abandonedBefore(now));
        continue;
      }
      if (existing.requestHash !== request.fingerprint) throw new IdempotencyKeyReusedError();
      if (!existing.response) throw new IdempotencyKeyInProgressError();
      return { kind: 'replay', response: this.opened(request, existing.response) };
    }
    throw new IdempotencyKeyInProgressError();
  }

  /** Stores the response of a claimed request, sealed, for replay. */
  complete({ userId, key }: IdempotencyKeyOf, recordId: string, response: StoredResponse): Promise<void> {
    const sealedBody =
      response.body === null || response.body === undefined
        ? null
        : this.seal.seal(userId, key, JSON.stringify(response.body));
    return this.records.complete(userId, recordId, { status: response.status, sealedBody }, new Date());
  }

  /** Forgets a claimed request that failed in a way worth retrying: the key may be used again. */
  release(userId: string, recordId: string): Promise<void> {
    return this.records.release(userId, recordId);
  }

  /**
   * The stored response, opened with the key that sealed it. A record found by this key's hash and
   * fingerprint that this key cannot open was altered in the database: it is refused like a reuse.
   */
  private opened({ userId, key }: IdempotencyKeyOf, response: SealedResponse): StoredResponse {
    if (response.sealedBody === null) return { status: response.status, body: null };
    const text = this.seal.open(userId, key, response.sealedBody);
    if (text === undefined) throw new IdempotencyKeyReusedError();
    return { status: response.status, body: JSON.parse(text) as unknown };
  }

  /** Expired, or abandoned in progress: treated as absent, and replaced. */
  private isStale(record: IdempotencyRecordState, now: Date): boolean {
    return record.expiresAt <= now || (!record.response && record.createdAt < this.abandonedBefore(now));
  }

  private abandonedBefore(now: Date): Date {
    return new Date(now.getTime() - IDEMPOTENCY_ABANDONED_AFTER_SECONDS * 1000);
  }
}
