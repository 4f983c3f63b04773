import { Injectable, Logger } from '@nestjs/common';
import { BY_CREATION, TextSealer } from '@app/common';
import { PrismaService, type Invoice } from '@app/database';

/** What a sealed hosted invoice URL is bound to: the column and the invoice's owner. */
export function hostedUrlContext(userId: string): string {
  return `invoices.hostedUrl:${userId}`;
}

@Injectable()
export class InvoicesRepository {
  private readonly logger = new Logger(InvoicesRepository.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly sealer: TextSealer,
  ) {}

  /** One user's invoices, newest first, with their hosted URLs opened; a replica may answer. */
  async listForUser(userId: string, page: { cursor?: string | undefined; take: number }): Promise<Invoice[]> {
    const rows = await this.prisma.invoice.findMany({
      where: { userId, ...BY_CREATION.after(page.cursor, 'desc') },
      orderBy: BY_CREATION.orderBy('desc'),
      take: page.take,
    });
    return rows.map((row) => ({ ...row, hostedUrl: this.hostedUrlOf(row) }));
  }

  /**
   * The hosted URL of a stored invoice. One that no configured key opens (its key was dropped from
   * DATA_ENCRYPTION_KEYS, or the value was altered) reads as none, and is logged; a value stored
   * before URLs were sealed is read as it is.
   */
  private hostedUrlOf(row: Invoice): string | null {
    if (row.hostedUrl === null || !TextSealer.isSealed(row.hostedUrl)) return row.hostedUrl;
    const url = this.sealer.open(row.hostedUrl, hostedUrlContext(row.userId));
    if (url === undefined) this.logger.warn(`The hosted URL of invoice ${row.id} opens with no configured data key`);
    return url ?? null;
  }
}
