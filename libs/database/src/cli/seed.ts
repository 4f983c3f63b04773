// `npm run db:seed`: upserts the billing plans and creates the admin account (idempotent).
import { loadConfig, readEnvironment } from '@app/config';
import { PrismaService } from '../prisma.service.js';
import { seedDatabase } from '../seed/seed.js';

try {
  const config = loadConfig(readEnvironment());
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  try {
    const result = await seedDatabase(prisma, config);
    console.log(`Seeded ${result.plans} plans.`);
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
