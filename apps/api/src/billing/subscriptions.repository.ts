import { Injectable } from '@nestjs/common';
import { BY_CREATION } from '@app/common';
import { Prisma, PrismaService, type Plan, type Subscription, type SubscriptionStatus } from '@app/database';

export type SubscriptionWithPlan = Subscription & { plan: Plan };

export type SubscriptionChanges = Partial<
  Pick<
    Subscription,
    | 'planId'
    | 'status'
    | 'currentPeriodStart'
    | 'currentPeriodEnd'
    | 'cancelAtPeriodEnd'
    | 'canceledAt'
    | 'trialEndsAt'
    | 'providerUpdatedAt'
  >
>;

/** Statuses of a subscription that still counts as the user's current one. */
export const LIVE_STATUSES: SubscriptionStatus[] = ['TRIALING', 'ACTIVE', 'PAST_DUE', 'INCOMPLETE'];

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The user's live subscription, if any (at most one by the service's rules). */
  findLive(userId: string): Promise<SubscriptionWithPlan | null> {
    return this.prisma.subscription.findFirst({
      where: { userId, status: { in: LIVE_STATUSES } },
      orderBy: { createdAt: 'desc' },
      include: { plan: true },
    });
  }

  /** The user's most recent subscription of any status. */
  findLatest(userId: string): Promise<SubscriptionWithPlan | null> {
    return this.prisma.subscription.findFirst({
      where: { userId },
      orderBy: { createdAt: 'desc' },
      include: { plan: true },
    });
  }

  /** Whether a provider's subscription is already stored (by its id at the provider). */
  async existsAtProvider(provider: string, providerSubscriptionId: string): Promise<boolean> {
    return (await this.prisma.subscription.count({ where: { provider, providerSubscriptionId } })) > 0;
  }

  /**
   * Creates the user's subscription unless they already have a live one (then null). The user's
   * row is locked first, so concurrent calls for one user run one after the other and only the
   * first creates.
   */
  createUnlessLive(data: Prisma.SubscriptionUncheckedCreateInput): Promise<SubscriptionWithPlan | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${data.userId}::uuid FOR UPDATE`;
      const live = await tx.subscription.count({ where: { userId: data.userId, status: { in: LIVE_STATUSES } } });
      if (live > 0) return null;
      return tx.subscription.create({ data, include: { plan: true } });
    });
  }

  /** Owner-scoped update; resolves null when that user has no such subscription. */
  async update(userId: string, id: string, changes: SubscriptionChanges): Promise<SubscriptionWithPlan | null> {
    const result = await this.prisma.subscription.updateMany({ where: { id, userId }, data: changes });
    if (result.count === 0) return null;
    return this.prisma.subscription.findUnique({ where: { id }, include: { plan: true } });
  }

  /** All subscriptions (admin), newest first, optionally of one status. */
  listAll(filter: {
    status?: SubscriptionStatus | undefined;
    cursor?: string | undefined;
    take: number;
  }): Promise<SubscriptionWithPlan[]> {
    return this.prisma.subscription.findMany({
      where: { ...(filter.status ? { status: filter.status } : {}), ...BY_CREATION.after(filter.cursor, 'desc') },
      orderBy: BY_CREATION.orderBy('desc'),
      take: filter.take,
      include: { plan: true },
    });
  }
}
