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

/** A new subscription, created for its user. */
export type NewSubscription = Omit<Prisma.SubscriptionUncheckedCreateInput, 'userId'>;

/** An invoice of the local provider (paid at once: no payment is taken), written with the change it bills. */
export interface LocalInvoiceDraft {
  /** Negative for a credit (a downgrade's unused time). */
  amountCents: number;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
}

/** The state a change was computed from: the change applies only while the subscription is still in it. */
export type SubscriptionVersion = Pick<Subscription, 'planId' | 'status' | 'currentPeriodEnd' | 'cancelAtPeriodEnd'>;

/** Statuses of a subscription that still counts as the user's current one. */
const LIVE_STATUSES: SubscriptionStatus[] = ['TRIALING', 'ACTIVE', 'PAST_DUE', 'INCOMPLETE'];

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The user's live subscription, if any (at most one by the service's rules). On the primary: it
   * fills the cached entitlements, and checkouts, plan changes, cancels and resumes start from it
   * (a stale copy would sell a second subscription, or answer a resume with nothing done).
   */
  findLive(userId: string): Promise<SubscriptionWithPlan | null> {
    return this.prisma.primary.subscription.findFirst({
      where: { userId, status: { in: LIVE_STATUSES } },
      orderBy: { createdAt: 'desc' },
      include: { plan: true },
    });
  }

  /**
   * The user's most recent subscription of any status, to show it. A replica may answer: a change of
   * the last moments may not show yet, and settling it writes only from the state it was read in.
   */
  findLatest(userId: string): Promise<SubscriptionWithPlan | null> {
    return this.prisma.subscription.findFirst({
      where: { userId },
      orderBy: { createdAt: 'desc' },
      include: { plan: true },
    });
  }

  /** On the primary: read again after losing a race, it must show the winner's write. */
  findById(userId: string, id: string): Promise<SubscriptionWithPlan | null> {
    return this.prisma.primary.subscription.findFirst({ where: { id, userId }, include: { plan: true } });
  }

  /**
   * Whether a provider's subscription is already stored (by its id at the provider). A replica may
   * answer: a stale miss costs one fetch from the provider, and the event's transaction decides.
   */
  async existsAtProvider(provider: string, providerSubscriptionId: string): Promise<boolean> {
    return (await this.prisma.subscription.count({ where: { provider, providerSubscriptionId } })) > 0;
  }

  /** Whether any subscription of the user ever had a trial. On the primary: it decides whether a checkout grants one. */
  hasHadTrial(userId: string): Promise<boolean> {
    return this.hadTrial(this.prisma.primary, userId);
  }

  /**
   * Creates the user's subscription, with its invoices, unless they already have a live one (then
   * null). The user's row is locked first, so concurrent calls for one user run one after the
   * other: only the first creates, and `build` sees every trial taken before it.
   */
  createUnlessLive(
    userId: string,
    build: (history: { hadTrial: boolean }) => { subscription: NewSubscription; invoices: LocalInvoiceDraft[] },
  ): Promise<SubscriptionWithPlan | null> {
    return this.prisma.$transaction(async (tx) => {
      await this.lockUser(tx, userId);
      const live = await tx.subscription.count({ where: { userId, status: { in: LIVE_STATUSES } } });
      if (live > 0) return null;
      const { subscription, invoices } = build({ hadTrial: await this.hadTrial(tx, userId) });
      const created = await tx.subscription.create({ data: { ...subscription, userId }, include: { plan: true } });
      await this.addInvoices(tx, userId, created.id, invoices);
      return created;
    });
  }

  /**
   * Applies a change computed from `from` and records the invoices it bills, together; null when
   * the subscription is no longer in that state (a concurrent request changed it first), and then
   * nothing is written.
   */
  transition(
    userId: string,
    id: string,
    from: SubscriptionVersion,
    changes: SubscriptionChanges,
    invoices: LocalInvoiceDraft[],
  ): Promise<SubscriptionWithPlan | null> {
    return this.prisma.$transaction(async (tx) => {
      await this.lockUser(tx, userId);
      const result = await tx.subscription.updateMany({
        where: {
          id,
          userId,
          planId: from.planId,
          status: from.status,
          currentPeriodEnd: from.currentPeriodEnd,
          cancelAtPeriodEnd: from.cancelAtPeriodEnd,
        },
        data: changes,
      });
      if (result.count === 0) return null;
      await this.addInvoices(tx, userId, id, invoices);
      return tx.subscription.findUnique({ where: { id }, include: { plan: true } });
    });
  }

  /** Owner-scoped update; resolves null when that user has no such subscription. */
  async update(userId: string, id: string, changes: SubscriptionChanges): Promise<SubscriptionWithPlan | null> {
    const result = await this.prisma.subscription.updateMany({ where: { id, userId }, data: changes });
    if (result.count === 0) return null;
    // Read after this request's write: read-your-writes sends it to the primary.
    return this.prisma.subscription.findUnique({ where: { id }, include: { plan: true } });
  }

  /** All subscriptions (admin), newest first, optionally of one status; a replica may answer. */
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

  // --- internals -------------------------------------------------------------------------

  private async hadTrial(db: Prisma.TransactionClient, userId: string): Promise<boolean> {
    return (await db.subscription.count({ where: { userId, trialEndsAt: { not: null } } })) > 0;
  }

  /** Serialises the billing writes of one user (subscription changes, invoice numbers). */
  private async lockUser(tx: Prisma.TransactionClient, userId: string): Promise<void> {
    await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
  }

  /**
   * Local invoices are numbered per user (`LOCAL-<user>-0001`), under the user's lock, and stamped
   * a millisecond apart so the newest-first list keeps the order of several written at once.
   */
  private async addInvoices(
    tx: Prisma.TransactionClient,
    userId: string,
    subscriptionId: string,
    drafts: LocalInvoiceDraft[],
  ): Promise<void> {
    if (drafts.length === 0) return;
    const issued = await tx.invoice.count({ where: { userId } });
    const prefix = `LOCAL-${userId.slice(0, 8).toUpperCase()}-`;
    const now = Date.now();
    await tx.invoice.createMany({
      data: drafts.map((draft, index) => ({
        ...draft,
        userId,
        subscriptionId,
        provider: 'local',
        number: `${prefix}${String(issued + index + 1).padStart(4, '0')}`,
        status: 'PAID' as const,
        hostedUrl: null,
        createdAt: new Date(now + index),
      })),
    });
  }
}
