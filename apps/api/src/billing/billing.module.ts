import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { BillingController } from './billing.controller.js';
import { BillingProvider } from './billing-provider.js';
import { BillingService } from './billing.service.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { EntitlementGuard } from './requires-entitlement.decorator.js';
import { EntitlementsService } from './entitlements.service.js';
import { InvoicesRepository } from './invoices.repository.js';
import { LocalCheckoutController } from './local-checkout.controller.js';
import { PlansRepository } from './plans.repository.js';
import { LocalBillingProvider } from './providers/local-billing.provider.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

@Module({
  imports: [UsersModule],
  controllers: [BillingController, LocalCheckoutController],
  providers: [
    BillingService,
    EntitlementsService,
    EntitlementGuard,
    PlansRepository,
    SubscriptionsRepository,
    InvoicesRepository,
    CheckoutSessionsRepository,
    // The Stripe implementation joins here, chosen by config.billing.provider.
    { provide: BillingProvider, useClass: LocalBillingProvider },
  ],
  exports: [EntitlementsService, EntitlementGuard],
})
export class BillingModule {}
