import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { PrismaService } from './prisma.service.js';
import { seedDatabase } from './seed/seed.js';

/** Seeds plans and the admin account at boot when `database.seedOnBoot` is on (embedded default). */
@Injectable()
export class DatabaseSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DatabaseSeeder.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.database.seedOnBoot) return;
    const result = await seedDatabase(this.prisma, this.config);
    this.logger.log(`Seeded ${result.plans} plans`);
    if (result.adminCreated) {
      const { email, generatedPassword } = result.adminCreated;
      this.logger.warn(
        generatedPassword
          ? `Created admin account ${email} with the generated password ${generatedPassword} (shown once; set SEED_ADMIN_PASSWORD to choose it)`
          : `Created admin account ${email}`,
      );
    }
  }
}
