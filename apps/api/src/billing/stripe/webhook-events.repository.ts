import { Injectable } from '@nestjs/common';
import { TextSealer } from '@app/common';
import { Prisma, PrismaService, type InvoiceStatus, type SubscriptionStatus } from '@app/database';
import { hostedUrlContext } from '../subscriptions/invoices.repository.js';

/** A provider's webhook event, as recorded once applied. */
export interface ProviderEvent {
  id: string;
  provider: string;
  type: string;
  /** When the provider produced the event. */
  createdAt: Date;
}

/** A subscription as the provider has it at one moment. */
export interface ProviderSubscriptionState {
  userId: string;
  /** Null when the provider's price is none of our plans': a stored row keeps its plan, and no row is created. */
  planId: string | null;
  providerSubscriptionId: string;
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  trialEndsAt: Date | null;
  /** When the provider produced this state: an older state never overwrites a newer one. */
  providerUpdatedAt: Date;
}

export interface SubscriptionSyncRules {
  /** Also replace a stored state of exactly the same time (a later event of the same second). */
  replaceSameTime: boolean;
  /** A canceled subscription never comes back (true of Stripe's): no state revives it. */
  canceledIsFinal: boolean;
}

/** created / updated: applied; stale: the stored state is newer; foreign: that subscription is another user's; no_plan: unknown price. */
export type SubscriptionSyncResult = 'created' | 'updated' | 'stale' | 'foreign' | 'no_plan';

export interface ProviderInvoiceState {
  userId: string;
  /** Our subscription row the invoice belongs to, if any. */
  subscriptionId: string | null;
  providerInvoiceId: string;
  number: string;
  amountCents: number;
  currency: string;
  status: InvoiceStatus;
  hostedUrl: string | null;
  periodStart: Date;
  periodEnd: Date;
}

/** The statuses a subscription can fall past due from. */
const PAST_DUE_FROM: SubscriptionStatus[] = ['TRIALING', 'ACTIVE', 'PAST_DUE'];

/**
 * The writes of one provider event, all inside the transaction that records the event: they are
 * applied together with that record or not at all.
 */
export class ProviderEventWrites {
  constructor(
    private readonly tx: Prisma.TransactionClient,
    private readonly provider: string,
    private readonly sealer: TextSealer,
  ) {}

  /** The user a provider customer is linked to. */
  async customerOwner(providerCustomerId: string): Promise<string | null> {
    const row = await this.tx.billingCustomer.findFirst({
      where: { provider: this.provider, providerCustomerId },
      select: { userId: true },
    });
    return row?.userId ?? null;
  }

  /** Our row of a provider subscription, with its owner. */
  findSubscription(providerSubscriptionId: string): Promise<{ id: string; userId: string } | null> {
    return this.tx.subscription.findFirst({
      where: { provider: this.provider, providerSubscriptionId },
      select: { id: true, userId: true },
    });
  }

  /**
   * Creates the subscription, or updates it only when the stored state is older than this one
   * (`providerUpdatedAt`), so events applied in any order end in the newest state. Never touches
   * another user's row.
   */
  async syncSubscription(
    state: ProviderSubscriptionState,
    rules: SubscriptionSyncRules,
  ): Promise<SubscriptionSyncResult> {
    let existing = await this.findSubscription(state.providerSubscriptionId);
    if (!existing) {
      if (!state.planId) return 'no_plan';
      // Skips a row a concurrent event inserted meanwhile, which is then updated below.
      const created = await this.tx.subscription.createMany({
        data: [
          {
            ...state,
            planId: state.planId,
            provider: this.provider,
            pastDueSince: state.status === 'PAST_DUE' ? state.providerUpdatedAt : null,
          },
        ],
        skipDuplicates: true,
      });
      if (created.count === 1) return 'created';
      existing = await this.findSubscription(state.providerSubscriptionId);
      if (!existing) return 'stale';
    }
    if (existing.userId !== state.userId) return 'foreign';

    const { planId, userId, providerSubscriptionId: _unchanged, ...changes } = state;
    const where = {
      id: existing.id,
      userId,
      providerUpdatedAt: rules.replaceSameTime ? { lte: state.providerUpdatedAt } : { lt: state.providerUpdatedAt },
      ...(rules.canceledIsFinal && state.status !== 'CANCELED' ? { status: { not: 'CANCELED' as const } } : {}),
    };
    const data = { ...changes, ...(planId ? { planId } : {}) };
    const updated = await this.updateTrackingPastDue(where, data, state.status, state.providerUpdatedAt);
    return updated ? 'updated' : 'stale';
  }

  /**
   * Applies a state change to the row `where` finds, keeping `pastDueSince` right: set to `at`
   * when the row becomes past due, kept while it stays past due, cleared otherwise.
   */
  private async updateTrackingPastDue(
    where: Prisma.SubscriptionWhereInput,
    data: Prisma.SubscriptionUncheckedUpdateManyInput,
    status: SubscriptionStatus,
    at: Date,
  ): Promise<boolean> {
    if (status !== 'PAST_DUE') {
      return (await this.tx.subscription.updateMany({ where, data: { ...data, pastDueSince: null } })).count === 1;
    }
    const becoming = await this.tx.subscription.updateMany({
      where: { AND: [where, { status: { not: 'PAST_DUE' } }] },
      data: { ...data, pastDueSince: at },
    });
    if (becoming.count === 1) return true;
    const staying = await this.tx.subscription.updateMany({ where: { AND: [where, { status: 'PAST_DUE' }] }, data });
    return staying.count === 1;
  }

  /** Marks the user's subscription past due, unless a newer state is stored or it is not live. */
  async markPastDue(userId: string, providerSubscriptionId: string, at: Date): Promise<boolean> {
    return this.updateTrackingPastDue(
      {
        provider: this.provider,
        providerSubscriptionId,
        userId,
        status: { in: PAST_DUE_FROM },
        providerUpdatedAt: { lt: at },
      },
      { status: 'PAST_DUE', providerUpdatedAt: at },
      'PAST_DUE',
      at,
    );
  }

  /** Creates the invoice, or updates it unless its stored status is one of `finalStatuses`. */
  async upsertInvoice(state: ProviderInvoiceState, finalStatuses: InvoiceStatus[]): Promise<void> {
    // The hosted URL is a bearer link (whoever has it sees and pays the invoice): stored sealed.
    const hostedUrl =
      state.hostedUrl === null ? null : this.sealer.seal(state.hostedUrl, hostedUrlContext(state.userId));
    const data = { ...state, hostedUrl, provider: this.provider };
    const created = await this.tx.invoice.createMany({ data: [data], skipDuplicates: true });
    if (created.count === 1) return;
    const { userId, providerInvoiceId, ...rest } = state;
    const changes = { ...rest, hostedUrl };
    await this.tx.invoice.updateMany({
      where: { provider: this.provider, providerInvoiceId, userId, status: { notIn: finalStatuses } },
      data: changes,
    });
  }
}

/** Provider webhook events, each applied exactly once. */
@Injectable()
export class WebhookEventsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sealer: TextSealer,
  ) {}

  /**
   * A shortcut for redeliveries; a replica may answer: a stale "no" only costs the transaction of
   * `processOnce`, which decides.
   */
  async isRecorded(id: string): Promise<boolean> {
    return (await this.prisma.webhookEvent.count({ where: { id } })) === 1;
  }

  /**
   * Records the event and applies its writes in one transaction: a redelivered (or concurrently
   * delivered) event finds its record and changes nothing, and a failure leaves neither.
   */
  async processOnce<T>(
    event: ProviderEvent,
    apply: (writes: ProviderEventWrites) => Promise<T>,
  ): Promise<{ duplicate: true } | { duplicate: false; result: T }> {
    return this.prisma.$transaction(async (tx) => {
      const recorded = await tx.webhookEvent.createMany({ data: [event], skipDuplicates: true });
      if (recorded.count === 0) return { duplicate: true as const };
      return {
        duplicate: false as const,
        result: await apply(new ProviderEventWrites(tx, event.provider, this.sealer)),
      };
    });
  }
}
