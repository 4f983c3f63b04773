import { Injectable } from '@nestjs/common';
import { hashOpaqueToken } from '@app/common';
import type { Plan } from '@app/database';
import { AlreadySubscribedError, CheckoutLinkInvalidError } from '../billing.errors.js';
import { assertPurchasable, localFirstPeriod, trialDaysFor } from '../subscriptions/billing-terms.js';
import { BillingService } from '../subscriptions/billing.service.js';
import { SubscriptionsRepository, type SubscriptionWithPlan } from '../subscriptions/subscriptions.repository.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';

/** The local provider's checkout links: what one offers, and starting the subscription it confirms. */
@Injectable()
export class LocalCheckoutService {
  constructor(
    private readonly checkouts: CheckoutSessionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly billing: BillingService,
  ) {}

  /** The plan behind a local checkout link and the trial it would start with, for its confirmation page. */
  async describe(token: string): Promise<{ plan: Plan; trialDays: number }> {
    const session = await this.pendingCheckout(token, new Date());
    return {
      plan: session.plan,
      trialDays: trialDaysFor(session.plan, await this.subscriptions.hasHadTrial(session.userId)),
    };
  }

  /**
   * Completes a local checkout: the subscription starts at once, trialing when the plan has a trial
   * and the user never had one. A plan retired since the link was issued is refused.
   */
  async complete(token: string): Promise<SubscriptionWithPlan> {
    const now = new Date();
    const session = await this.pendingCheckout(token, now);
    if (!(await this.checkouts.claim(session.id, now))) throw new CheckoutLinkInvalidError();
    // Settles a live subscription first: one whose period ended canceled no longer counts.
    if (await this.billing.findLiveSubscription(session.userId)) throw new AlreadySubscribedError();
    const { plan } = session;
    // The trial is decided under the user's lock: two links confirmed at once cannot both start one.
    const subscription = await this.subscriptions.createUnlessLive(session.userId, ({ hadTrial }) =>
      localFirstPeriod(plan, trialDaysFor(plan, hadTrial), now),
    );
    // Another link of this user was confirmed meanwhile.
    if (!subscription) throw new AlreadySubscribedError();
    await this.billing.subscriptionChanged(session.userId);
    return subscription;
  }

  /** The pending session behind a local checkout link, for a plan still on sale. */
  private async pendingCheckout(token: string, now: Date): Promise<{ id: string; userId: string; plan: Plan }> {
    const session = await this.checkouts.findPending(hashOpaqueToken(token), now);
    if (!session) throw new CheckoutLinkInvalidError();
    assertPurchasable(session.plan);
    return session;
  }
}
