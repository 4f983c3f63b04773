import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';

/** Users' accounts at a billing provider (a Stripe customer id per user). */
@Injectable()
export class BillingCustomersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Who a checkout is for, as the provider's customer record needs them (null for an unknown user).
   * On the primary: the caller may have signed up a moment ago.
   */
  findContact(userId: string): Promise<{ id: string; email: string; name: string } | null> {
    return this.prisma.primary.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, name: true },
    });
  }

  /**
   * The user's customer id at `provider`, if one was created. On the primary: a miss creates one at
   * the provider.
   */
  async findCustomerId(userId: string, provider: string): Promise<string | null> {
    const row = await this.prisma.primary.billingCustomer.findFirst({
      where: { userId, provider },
      select: { providerCustomerId: true },
    });
    return row?.providerCustomerId ?? null;
  }

  /**
   * Links the user to a customer created at the provider and returns the user's customer id: the
   * stored one when a concurrent request linked the user first (both then hold the same customer,
   * created with the same idempotency key).
   */
  async link(userId: string, provider: string, providerCustomerId: string): Promise<string> {
    await this.prisma.billingCustomer.createMany({
      data: [{ userId, provider, providerCustomerId }],
      skipDuplicates: true,
    });
    // Read after this request's write: read-your-writes sends it to the primary.
    const row = await this.prisma.billingCustomer.findUniqueOrThrow({
      where: { userId },
      select: { providerCustomerId: true },
    });
    return row.providerCustomerId;
  }
}
