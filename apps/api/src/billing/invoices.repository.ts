import { Injectable } from '@nestjs/common';
import { BY_CREATION } from '@app/common';
import { Prisma, PrismaService, type Invoice } from '@app/database';

@Injectable()
export class InvoicesRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(data: Prisma.InvoiceUncheckedCreateInput): Promise<Invoice> {
    return this.prisma.invoice.create({ data });
  }

  countForUser(userId: string): Promise<number> {
    return this.prisma.invoice.count({ where: { userId } });
  }

  /** One user's invoices, newest first. */
  listForUser(userId: string, page: { cursor?: string | undefined; take: number }): Promise<Invoice[]> {
    return this.prisma.invoice.findMany({
      where: { userId, ...BY_CREATION.after(page.cursor, 'desc') },
      orderBy: BY_CREATION.orderBy('desc'),
      take: page.take,
    });
  }
}
