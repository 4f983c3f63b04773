import { Injectable } from '@nestjs/common';
import { PrismaService, type UserTokenPurpose } from '@app/database';

export interface NewUserToken {
  userId: string;
  purpose: UserTokenPurpose;
  tokenHash: string;
  email: string;
  expiresAt: Date;
}

export interface UserTokenRecord {
  id: string;
  userId: string;
  purpose: UserTokenPurpose;
  email: string;
  createdAt: Date;
}

const RECORD = {
  id: true,
  userId: true,
  purpose: true,
  email: true,
  createdAt: true,
  expiresAt: true,
  usedAt: true,
} as const;

function validRecord(
  token: (UserTokenRecord & { expiresAt: Date; usedAt: Date | null }) | null,
  purposes: UserTokenPurpose[],
  now: Date,
): UserTokenRecord | null {
  if (!token || token.usedAt !== null || token.expiresAt <= now || !purposes.includes(token.purpose)) return null;
  return { id: token.id, userId: token.userId, purpose: token.purpose, email: token.email, createdAt: token.createdAt };
}

@Injectable()
export class UserTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores a new token and retires the user's unused ones of the same purpose. */
  async replace(input: NewUserToken): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.userToken.updateMany({
        where: { userId: input.userId, purpose: input.purpose, usedAt: null },
        data: { usedAt: new Date() },
      }),
      this.prisma.userToken.create({ data: input }),
    ]);
  }

  /** Stores a new token next to the user's earlier ones of the same purpose, which stay usable. */
  async add(input: NewUserToken): Promise<void> {
    await this.prisma.userToken.create({ data: input });
  }

  /** Retires the user's unused tokens of `purpose` issued after `after`. */
  async retireIssuedAfter(userId: string, purpose: UserTokenPurpose, after: Date): Promise<void> {
    await this.prisma.userToken.updateMany({
      where: { userId, purpose, usedAt: null, createdAt: { gt: after } },
      data: { usedAt: new Date() },
    });
  }

  /**
   * A valid token (unused, unexpired, of one of `purposes`) without using it up; null otherwise.
   * On the primary: emailed links are opened moments after they are issued, and one used up or
   * retired must not look valid.
   */
  async findValid(tokenHash: string, purposes: UserTokenPurpose[], now: Date): Promise<UserTokenRecord | null> {
    return validRecord(
      await this.prisma.primary.userToken.findUnique({ where: { tokenHash }, select: RECORD }),
      purposes,
      now,
    );
  }

  /**
   * Marks a valid token used and returns it; null when it is unknown, expired, already used or
   * of another purpose. Single use holds under concurrency: only one caller wins the update.
   */
  async consume(tokenHash: string, purposes: UserTokenPurpose[], now: Date): Promise<UserTokenRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const token = validRecord(await tx.userToken.findUnique({ where: { tokenHash }, select: RECORD }), purposes, now);
      if (!token) return null;
      const claimed = await tx.userToken.updateMany({ where: { id: token.id, usedAt: null }, data: { usedAt: now } });
      return claimed.count === 0 ? null : token;
    });
  }
}
