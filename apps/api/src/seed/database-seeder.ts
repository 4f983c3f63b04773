import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { seedDatabase } from './seed.js';

export interface GeneratedAdminCredentials {
  email: string;
  password: string;
}

/** Seeds plans and the admin account at boot when `database.seedOnBoot` is on (embedded default). */
@Injectable()
export class DatabaseSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DatabaseSeeder.name);
  /** Held only until the boot banner takes it (pretty logs): it is shown once, there. */
  private generatedAdmin: GeneratedAdminCredentials | undefined;

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
      if (!generatedPassword) {
        this.logger.warn(`Created admin account ${email}`);
      } else if (this.config.app.logFormat === 'pretty') {
        this.generatedAdmin = { email, password: generatedPassword };
        this.logger.warn(`Created admin account ${email} with a generated password (shown once, below)`);
      } else {
        this.logger.warn(
          `Created admin account ${email} with the generated password ${generatedPassword} (shown once; set SEED_ADMIN_PASSWORD to choose it)`,
        );
      }
    }
  }

  /** The admin created by this boot with a generated password, in pretty mode; a second call returns nothing. */
  takeGeneratedAdmin(): GeneratedAdminCredentials | undefined {
    const admin = this.generatedAdmin;
    this.generatedAdmin = undefined;
    return admin;
  }
}
