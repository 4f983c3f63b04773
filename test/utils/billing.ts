import { PrismaService, seedPlans } from '@app/database';
import { BillingService } from '../../apps/api/src/billing/billing.service.js';
import type { TestApp } from './test-app.js';

/** A test database is a clone of the migrated template, without seed data: add the plans. */
export async function seedTestPlans(t: TestApp): Promise<void> {
  await seedPlans(t.app.get(PrismaService));
  await t.app.get(BillingService).invalidatePlans();
}
