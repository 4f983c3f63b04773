import { Injectable } from '@nestjs/common';
import { PrismaService, type Plan } from '@app/database';

@Injectable()
export class PlansRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** On the primary: the list fills the shared cache, which the seed has just emptied for new plans. */
  listActive(): Promise<Plan[]> {
    return this.prisma.primary.plan.findMany({
      where: { active: true },
      orderBy: [{ sortOrder: 'asc' }, { code: 'asc' }],
    });
  }

  /** On the primary: checkouts and plan changes are decided from it, and the cached entitlements filled. */
  findByCode(code: string): Promise<Plan | null> {
    return this.prisma.primary.plan.findUnique({ where: { code } });
  }

  /**
   * The plan sold at the provider under this price id (Stripe `price_...`), for webhooks. From the
   * primary: a plan seeded a moment ago may not be on a replica yet, and the webhook would record
   * the subscription without its plan.
   */
  findByProviderPriceId(priceId: string): Promise<Plan | null> {
    return this.prisma.primary.plan.findFirst({ where: { providerPriceId: priceId }, orderBy: { active: 'desc' } });
  }
}
