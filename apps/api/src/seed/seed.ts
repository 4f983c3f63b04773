import type { AppConfig } from '@app/config';
import type { PrismaService } from '@app/database';
import { defaultPlansFile, seedPlans } from '../billing/entitlements/plan-seeds.js';
import { seedAdminAccount, type SeededAdmin } from '../users/admin-account-seed.js';

export interface SeedResult {
  plans: number;
  /** Set when the admin account was created by this run. */
  adminCreated?: SeededAdmin;
}

/**
 * The app's seed, run by `npm run db:seed` and at boot (`database.seedOnBoot`): each feature
 * seeds its own rows. Idempotent: billing upserts its plans by code; users create the admin
 * account once.
 */
export async function seedDatabase(
  prisma: PrismaService,
  config: Pick<AppConfig, 'seed' | 'app'>,
  plansFile = defaultPlansFile(),
): Promise<SeedResult> {
  const result: SeedResult = { plans: await seedPlans(prisma, plansFile) };
  const admin = await seedAdminAccount(prisma, config);
  if (admin) result.adminCreated = admin;
  return result;
}
