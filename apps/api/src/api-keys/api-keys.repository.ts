import { Injectable } from '@nestjs/common';
import { PrismaService, type ApiKey } from '@app/database';
import { MAX_LISTED_API_KEYS } from './dto/api-key-response.dto.js';

export interface NewApiKeyRecord {
  userId: string;
  name: string;
  publicId: string;
  keyHash: string;
  scopes: string[];
  expiresAt: Date;
}

/** The owner's side of the `api_keys` table: every method is scoped by the owner's id. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the key unless its owner already holds `maxActive` active ones (then null). The owner's
   * row is locked first, so two creations at once can't both take the last place.
   */
  createWithinLimit(input: NewApiKeyRecord, maxActive: number, now: Date): Promise<ApiKey | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM users WHERE id = ${input.userId}::uuid FOR UPDATE`;
      const active = await tx.apiKey.count({
        where: { userId: input.userId, revokedAt: null, expiresAt: { gt: now } },
      });
      if (active >= maxActive) return null;
      return tx.apiKey.create({ data: input });
    });
  }

  /**
   * The owner's active keys, newest first. A replica may answer: a key revoked in the last moments
   * may still be listed, but it no longer authenticates (that lookup reads the primary).
   */
  listActive(userId: string, now: Date): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: now } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: MAX_LISTED_API_KEYS,
    });
  }

  /** Revokes one of the owner's keys; false when the owner has no such unrevoked key. */
  async revoke(userId: string, id: string, now: Date): Promise<boolean> {
    const result = await this.prisma.apiKey.updateMany({
      where: { id, userId, revokedAt: null },
      data: { revokedAt: now },
    });
    return result.count > 0;
  }

  /** Revokes every unrevoked key of the owner; returns how many. */
  async revokeAll(userId: string, now: Date): Promise<number> {
    const result = await this.prisma.apiKey.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: now },
    });
    return result.count;
  }
}
