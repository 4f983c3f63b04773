import { Injectable } from '@nestjs/common';
import { PrismaService, type UserTokenPurpose } from '@app/database';

export interface UserTokenRecord {
  id: string;
  userId: string;
  purpose: UserTokenPurpose;
  email: string;
}

@Injectable()
export class UserTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores a new token and retires the user's unused ones of the same purpose. */
  async replace(input: {
    userId: string;
    purpose: UserTokenPurpose;
    tokenHash: string;
    email: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.userToken.updateMany({
        where: { userId: input.userId, purpose: input.purpose, usedAt: null },
        data: { usedAt: new Date() },
      }),
      this.prisma.userToken.create({ data: input }),
    ]);
  }

  /** A valid token (unused, unexpired, of one of `purposes`) without using it up; null otherwise. */
  async findValid(tokenHash: string, purposes: UserTokenPurpose[], now: Date): Promise<UserTokenRecord | null> {
    const token = await this.prisma.userToken.findUnique({
      where: { tokenHash },
      select: { id: true, userId: true, purpose: true, email: true, expiresAt: true, usedAt: true },
    });
    if (!token || token.usedAt !== null || token.expiresAt <= now || !purposes.includes(token.purpose)) return null;
    return { id: token.id, userId: token.userId, purpose: token.purpose, email: token.email };
  }

  /**
   * Marks a valid token used and returns it; null when it is unknown, expired, already used or
   * of another purpose. Single use holds under concurrency: only one caller wins the update.
   */
  async consume(tokenHash: string, purposes: UserTokenPurpose[], now: Date): Promise<UserTokenRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const token = await tx.userToken.findUnique({
        where: { tokenHash },
        select: { id: true, userId: true, purpose: true, email: true, expiresAt: true, usedAt: true },
      });
      if (!token || token.usedAt !== null || token.expiresAt <= now || !purposes.includes(token.purpose)) return null;
      const claimed = await tx.userToken.updateMany({ where: { id: token.id, usedAt: null }, data: { usedAt: now } });
      if (claimed.count === 0) return null;
      return { id: token.id, userId: token.userId, purpose: token.purpose, email: token.email };
    });
  }
}
