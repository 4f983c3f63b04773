import { Injectable } from '@nestjs/common';
import { BY_CREATION } from '@app/common';
import { PrismaService, type Invoice } from '@app/database';

@Injectable()
export class InvoicesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One user's invoices, newest first. */
  listForUser(userId: string, page: { cursor?: string | undefined; take: number }): Promise<Invoice[]> {
    return this.prisma.invoice.findMany({
      where: { userId, ...BY_CREATION.after(page.cursor, 'desc') },
      orderBy: BY_CREATION.orderBy('desc'),
      take: page.take,
    });
  }
}
