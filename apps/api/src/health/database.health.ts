import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MIGRATE_COMMAND, PrismaService } from '@app/database';

/** Longest wait for the database's answer before readiness reports it down. */
const DATABASE_CHECK_TIMEOUT_MS = 2_000;

class DatabaseCheckTimeoutError extends Error {
  constructor() {
    super(`The database did not answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`);
    this.name = new.target.name;
  }
}

/**
 * The database is ready when it answers and has every migration of this build. The body names
 * the state only (and, when migrations are missing, which ones and the command that applies
 * them); why the database is unreachable (the driver's message, which names its host and port)
 * goes to the log.
 */
@Injectable()
export class DatabaseHealthIndicator {
  private readonly logger = new Logger(DatabaseHealthIndicator.name);

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly prisma: PrismaService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    let pending: string[];
    try {
      pending = await withTimeout(async () => {
        await this.prisma.$queryRaw`SELECT 1`;
        return this.prisma.pendingMigrations();
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'Readiness: the database is unavailable');
      return indicator.down();
    }
    if (pending.length === 0) return indicator.up();
    return indicator.down({
      pendingMigrations: pending,
      message: `Migrations are pending: run \`${MIGRATE_COMMAND}\` to apply them.`,
    });
  }
}

async function withTimeout<T>(run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const work = run();
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DatabaseCheckTimeoutError()), DATABASE_CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    // A check that lost the race still settles later; its outcome no longer matters.
    work.catch(() => undefined);
  }
}
