// `npm run db:seed`: upserts the billing plans and creates the admin account (idempotent), then
// drops the plan list cached in Redis, so running instances serve the new plans at once.
import { cacheKey, dropCachedKeys } from '@app/redis';
import { loadConfig, readEnvironment } from '@app/config';
import { PrismaService } from '@app/database';
import { PLANS_CACHE_KEY } from '../billing/entitlements/plan-rules.js';
import { seedDatabase } from '../seed/seed.js';

try {
  const config = loadConfig(readEnvironment());
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  try {
    const result = await seedDatabase(prisma, config);
    console.log(`Seeded ${result.plans} plans.`);
    const dropped = await dropCachedKeys(config, [cacheKey(config.cache.keyPrefix, ...PLANS_CACHE_KEY)]);
    if (dropped === 'dropped') console.log('Dropped the cached plan list in Redis.');
    if (dropped === 'unavailable') {
      console.warn(
        'Could not reach Redis to drop the cached plan list: running instances show the plans within 5 minutes.',
      );
    }
    if (result.adminCreated) {
      const { email, generatedPassword } = result.adminCreated;
      console.log(
        generatedPassword ? `Created admin ${email} with password ${generatedPassword}` : `Created admin ${email}`,
      );
    }
  } finally {
    await prisma.onApplicationShutdown();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
