import { Injectable } from '@nestjs/common';
import { PrismaService, type Role, type UserStatus } from '@app/database';

/** A stored key as authentication needs it, with its owner's current role and status. */
export interface ApiKeyCredential {
  id: string;
  userId: string;
  scopes: string[];
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  owner: { role: Role; status: UserStatus };
}

/** The authentication side of the `api_keys` table (the owner's routes are the api-keys feature's). */
@Injectable()
export class ApiKeyCredentialsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The key with this hash, and its owner's role and status. On the primary: it authenticates, and a
   * lagging replica could still accept a key just revoked, or the key of an owner just disabled.
   */
  async findByHash(keyHash: string): Promise<ApiKeyCredential | null> {
    const row = await this.prisma.primary.apiKey.findUnique({
      where: { keyHash },
      select: {
        id: true,
        userId: true,
        scopes: true,
        expiresAt: true,
        lastUsedAt: true,
        revokedAt: true,
        user: { select: { role: true, status: true } },
      },
    });
    if (row === null) return null;
    const { user, ...key } = row;
    return { ...key, owner: user };
  }

  /** Sets `lastUsedAt` unless another request set it after `staleBefore` (one write per interval). */
  async touch(id: string, now: Date, staleBefore: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] },
      data: { lastUsedAt: now },
    });
  }
}
