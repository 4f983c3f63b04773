import { Injectable } from '@nestjs/common';
import { newOpaqueToken } from '@app/common';
import { AppConfig } from '@app/config';
import { BillingProvider, type CheckoutInput } from '../subscriptions/billing-provider.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';

/**
 * No external service: checkout is a page served by this API, reached through a single-use,
 * expiring link (the link carries its own 256-bit token, since a browser sends no bearer header).
 * Plan changes and cancellation need nothing outside our database.
 */
@Injectable()
export class LocalBillingProvider extends BillingProvider {
  readonly name = 'local' as const;

  constructor(
    private readonly checkouts: CheckoutSessionsRepository,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async startCheckout(input: CheckoutInput): Promise<{ url: string }> {
    const { token, hash } = newOpaqueToken();
    await this.checkouts.create({
      userId: input.user.id,
      planId: input.plan.id,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + this.config.billing.localCheckoutTtlSeconds * 1000),
    });
    return { url: `${this.config.app.publicUrl}/v1/billing/local-checkout/${token}` };
  }

  async portalUrl(): Promise<{ url: string }> {
    // No hosted portal: the web app's own billing page drives the API's change/cancel routes.
    return { url: `${this.config.app.frontendUrl}/billing` };
  }

  async changePlan(): Promise<void> {}

  async setCancelAtPeriodEnd(): Promise<void> {}
}
