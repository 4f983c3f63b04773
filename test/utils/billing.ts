import { PrismaService } from '@app/database';
import { seedPlans } from '../../apps/api/src/billing/entitlements/plan-seeds.js';
import { BillingService } from '../../apps/api/src/billing/subscriptions/billing.service.js';
import { startFakeStripe, type FakeStripe } from './fake-stripe.js';
import { signature, WEBHOOK_PATH, WEBHOOK_SECRET } from './stripe-events.js';
import { createTestApp, type TestApp } from './test-app.js';

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

/**
 * An app on the Stripe provider talking to a fake Stripe, with the plans seeded, and signed
 * webhook deliveries to it. `start()` in a beforeAll, `close()` in the afterAll.
 */
export class StripeTestApp {
  fake!: FakeStripe;
  t!: TestApp;
  prisma!: PrismaService;

  /** `env`: the app's environment over stripeTestEnv's. */
  constructor(private readonly env: Record<string, string> = {}) {}

  async start(): Promise<void> {
    this.fake = await startFakeStripe();
    this.t = await createTestApp({ env: stripeTestEnv(this.fake, this.env) });
    this.prisma = this.t.app.get(PrismaService);
    await seedTestPlans(this.t);
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.fake.close();
  }

  /** Posts a webhook body exactly as given, signed unless other headers are given. */
  readonly deliver = (payload: string, headers?: Record<string, string>) =>
    this.t.app.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', ...(headers ?? { 'stripe-signature': signature(payload) }) },
      payload,
    });
}
