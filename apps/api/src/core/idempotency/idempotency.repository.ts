import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@app/database';

/** A response kept for replay: its status and its sealed JSON body (null when it had none), see IdempotencySeal. */
export interface SealedResponse {
  status: number;
  sealedBody: Uint8Array<ArrayBuffer> | null;
}

export interface IdempotencyRecordState {
  requestHash: string;
  /** Null while the first request is in progress. */
  response: SealedResponse | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface NewIdempotencyRecord {
  userId: string;
  /** IdempotencySeal.keyHash() of the client's key: the key itself is never stored. */
  keyHash: string;
  method: string;
  path: string;
  requestHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** The `idempotency_records` table: one row per (user, Idempotency-Key), found by the key's hash. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts an in-progress record and returns its id, or null when the user already has a record
   * with this key: the unique index on (userId, keyHash) decides between concurrent requests.
   */
  async tryCreate(record: NewIdempotencyRecord): Promise<string | null> {
    try {
      const { id } = await this.prisma.idempotencyRecord.create({ data: record, select: { id: true } });
      return id;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
      throw error;
    }
  }

  /**
   * On the primary: it decides between replaying a response, answering "in progress" and starting
   * over, and a replica behind the first request's completion (or deletion) would decide wrong.
   */
  async find(userId: string, keyHash: string): Promise<IdempotencyRecordState | null> {
    const row = await this.prisma.primary.idempotencyRecord.findUnique({
      where: { userId_keyHash: { userId, keyHash } },
      select: {
        requestHash: true,
        responseStatus: true,
        responseBody: true,
        completedAt: true,
        createdAt: true,
        expiresAt: true,
      },
    });
    if (!row) return null;
    const response =
      row.completedAt && row.responseStatus !== null
        ? { status: row.responseStatus, sealedBody: row.responseBody }
        : null;
    return { requestHash: row.requestHash, response, createdAt: row.createdAt, expiresAt: row.expiresAt };
  }

  /**
   * Deletes the user's record of this key if it has expired, or if it is still in progress but
   * was created before `abandonedBefore`. The condition is checked again here, so a record that
   * another request completed meanwhile is kept. False when nothing was deleted.
   */
  async deleteIfStale(userId: string, keyHash: string, now: Date, abandonedBefore: Date): Promise<boolean> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({
      where: {
        userId,
        keyHash,
        OR: [{ expiresAt: { lte: now } }, { completedAt: null, createdAt: { lt: abandonedBefore } }],
      },
    });
    return count > 0;
  }

  /** Stores the response of an in-progress record. */
  async complete(userId: string, id: string, response: SealedResponse, now: Date): Promise<void> {
    await this.prisma.idempotencyRecord.updateMany({
      where: { id, userId, completedAt: null },
      data: { responseStatus: response.status, responseBody: response.sealedBody, completedAt: now },
    });
  }

  /** Deletes an in-progress record, so the key may be used again. */
  async release(userId: string, id: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({ where: { id, userId, completedAt: null } });
  }

  /**
   * Deletes up to `limit` expired records of any user: the cleanup of the table, done a batch at
   * a time so it stays cheap (both queries use the index on expiresAt). Returns how many went.
   * Should a replica list them (the cleanup runs after a write, so the primary does), the delete
   * checks their expiry again on the primary.
   */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    const expired = await this.prisma.idempotencyRecord.findMany({
      where: { expiresAt: { lte: now } },
      select: { id: true },
      take: limit,
    });
    if (expired.length === 0) return 0;
    const { count } = await this.prisma.idempotencyRecord.deleteMany({
      where: { id: { in: expired.map(({ id }) => id) }, expiresAt: { lte: now } },
    });
    return count;
  }
}
