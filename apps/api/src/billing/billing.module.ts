import { Module } from '@nestjs/common';
import { TextSealer } from '@app/common';
import { AppConfig } from '@app/config';
import { IdempotencyModule } from '../core/idempotency/idempotency.module.js';
import { EntitlementsService } from './entitlements/entitlements.service.js';
import { EntitlementGuard } from './entitlements/requires-entitlement.decorator.js';
import { CheckoutSessionsRepository } from './local/checkout-sessions.repository.js';
import { LocalBillingProvider } from './local/local-billing.provider.js';
import { LocalCheckoutController } from './local/local-checkout.controller.js';
import { LocalCheckoutService } from './local/local-checkout.service.js';
import { StripeBillingProvider } from './stripe/stripe-billing.provider.js';
import { StripeWebhooksController } from './stripe/stripe-webhooks.controller.js';
import { StripeWebhooksService } from './stripe/stripe-webhooks.service.js';
import { WebhookEventsRepository } from './stripe/webhook-events.repository.js';
import { BillingCustomersRepository } from './subscriptions/billing-customers.repository.js';
import { BillingProvider, BillingProviders } from './subscriptions/billing-provider.js';
import { BillingController } from './subscriptions/billing.controller.js';
import { BillingService } from './subscriptions/billing.service.js';
import { InvoicesRepository } from './subscriptions/invoices.repository.js';
import { PlansRepository } from './subscriptions/plans.repository.js';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository.js';

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
    LocalCheckoutService,
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
    // Each subscription is kept by the provider it was made with, whichever is in use.
    {
      provide: BillingProviders,
      inject: [BillingProvider, LocalBillingProvider, StripeBillingProvider],
      useFactory: (inUse: BillingProvider, local: LocalBillingProvider, stripe: StripeBillingProvider) =>
        new BillingProviders(inUse, [local, stripe]),
    },
  ],
  exports: [EntitlementsService, EntitlementGuard],
})
export class BillingModule {}
