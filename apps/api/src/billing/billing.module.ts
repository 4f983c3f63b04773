import { Module } from '@nestjs/common';
import { TextSealer } from '@app/common';
import { AppConfig } from '@app/config';
import { BillingController } from './billing.controller.js';
import { BillingCustomersRepository } from './billing-customers.repository.js';
import { BillingProvider } from './billing-provider.js';
import { BillingService } from './billing.service.js';
import { CheckoutSessionsRepository } from './checkout-sessions.repository.js';
import { EntitlementGuard } from './requires-entitlement.decorator.js';
import { EntitlementsService } from './entitlements.service.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { InvoicesRepository } from './invoices.repository.js';
import { LocalCheckoutController } from './local-checkout.controller.js';
import { PlansRepository } from './plans.repository.js';
import { LocalBillingProvider } from './providers/local-billing.provider.js';
import { StripeBillingProvider } from './providers/stripe-billing.provider.js';
import { StripeWebhooksController } from './stripe-webhooks.controller.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';
import { WebhookEventsRepository } from './webhook-events.repository.js';

@Module({
  imports: [IdempotencyModule],
  controllers: [BillingController, LocalCheckoutController, StripeWebhooksController],
  providers: [
    BillingService,
    EntitlementsService,
    EntitlementGuard,
    PlansRepository,
    SubscriptionsRepository,
    InvoicesRepository,
    CheckoutSessionsRepository,
    BillingCustomersRepository,
    WebhookEventsRepository,
    StripeWebhooksService,
    // Seals the bearer links stored with invoices (a provider's hosted invoice URL).
    {
      provide: TextSealer,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new TextSealer(config.dataEncryption.keys),
    },
    // Both are built (neither connects anywhere); config.billing.provider picks the one in use:
    // BILLING_PROVIDER, else stripe when a Stripe key is set, else local.
    LocalBillingProvider,
    StripeBillingProvider,
    {
      provide: BillingProvider,
      inject: [AppConfig, LocalBillingProvider, StripeBillingProvider],
      useFactory: (config: AppConfig, local: LocalBillingProvider, stripe: StripeBillingProvider): BillingProvider =>
        config.billing.provider === 'stripe' ? stripe : local,
    },
  ],
  exports: [EntitlementsService, EntitlementGuard],
})
export class BillingModule {}
