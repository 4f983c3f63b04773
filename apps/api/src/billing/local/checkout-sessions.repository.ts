import { Injectable } from '@nestjs/common';
import { PrismaService, type Plan } from '@app/database';

@Injectable()
export class CheckoutSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(input: { userId: string; planId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    await this.prisma.checkoutSession.create({ data: input });
  }

  /**
   * The pending session behind a link, or null when unknown, used or expired. On the primary: the
   * link is opened right after it is issued (a redirect), before a replica may have it.
   */
  findPending(tokenHash: string, now: Date): Promise<{ id: string; userId: string; plan: Plan } | null> {
    return this.prisma.primary.checkoutSession.findFirst({
      where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
      select: { id: true, userId: true, plan: true },
    });
  }

  /** Claims a session for completion; false when another request claimed it first. */
  async claim(id: string, now: Date): Promise<boolean> {
    const result = await this.prisma.checkoutSession.updateMany({
      where: { id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    return result.count === 1;
  }
}
