import { PrismaService } from '@app/database';
import { seedPlans } from '../../apps/api/src/billing/entitlements/plan-seeds.js';
import { BillingService } from '../../apps/api/src/billing/subscriptions/billing.service.js';
import type { FakeStripe } from './fake-stripe.js';
import { WEBHOOK_SECRET } from './stripe-events.js';
import type { TestApp } from './test-app.js';

/** The Stripe secret key of the test apps: the fake server accepts any well-formed key. */
export const STRIPE_TEST_SECRET_KEY = 'sk_test_fake123';

/** An app on the Stripe provider, calling `fake`, with webhooks signed by WEBHOOK_SECRET. */
export function stripeTestEnv(fake: FakeStripe, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BILLING_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: STRIPE_TEST_SECRET_KEY,
    STRIPE_API_BASE_URL: fake.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...extra,
  };
}

/** A test database is a clone of the migrated template, without seed data: add the plans. */
export async function seedTestPlans(t: TestApp): Promise<void> {
  await seedPlans(t.app.get(PrismaService));
  await t.app.get(BillingService).invalidatePlans();
}
