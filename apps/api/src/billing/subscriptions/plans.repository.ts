import { Injectable } from '@nestjs/common';
import { PrismaService, type Plan } from '@app/database';

@Injectable()
export class PlansRepository {
  constructor(private readonly prisma: PrismaService) {}

  listActive(): Promise<Plan[]> {
    return this.prisma.plan.findMany({ where: { active: true }, orderBy: [{ sortOrder: 'asc' }, { code: 'asc' }] });
  }

  findByCode(code: string): Promise<Plan | null> {
    return this.prisma.plan.findUnique({ where: { code } });
  }

  /** The plan sold at the provider under this price id (Stripe `price_...`). */
  findByProviderPriceId(priceId: string): Promise<Plan | null> {
    return this.prisma.plan.findFirst({ where: { providerPriceId: priceId }, orderBy: { active: 'desc' } });
  }
}
