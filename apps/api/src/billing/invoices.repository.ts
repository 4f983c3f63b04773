import { Injectable } from '@nestjs/common';
import { decodeCursor } from '@app/common';
import { PrismaService, type Invoice } from '@app/database';

@Injectable()
export class InvoicesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One user's invoices, newest first. */
  listForUser(userId: string, page: { cursor?: string | undefined; take: number }): Promise<Invoice[]> {
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    return this.prisma.invoice.findMany({
      where: {
        userId,
        ...(after
          ? {
              OR: [
                { createdAt: { lt: new Date(String(after.key)) } },
                { createdAt: new Date(String(after.key)), id: { lt: after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: page.take,
    });
  }
}
