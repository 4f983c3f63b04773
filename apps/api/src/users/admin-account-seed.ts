import { randomBytes } from 'node:crypto';
import { hashPassword } from '@app/common';
import type { AppConfig } from '@app/config';
import type { PrismaService } from '@app/database';

export interface SeededAdmin {
  email: string;
  /** Set when no password was configured and the seed generated one. */
  generatedPassword?: string;
}

/**
 * Creates the admin account once and never overwrites it (its password may have been changed
 * since). Outside production an admin is always there to log in with; in production only on
 * request. Returns the account when this run created it.
 */
export async function seedAdminAccount(
  prisma: PrismaService,
  config: Pick<AppConfig, 'seed' | 'app'>,
): Promise<SeededAdmin | undefined> {
  const email = config.seed.adminEmail ?? (config.app.env === 'production' ? undefined : 'admin@example.com');
  if (email === undefined) return undefined;
  const existing = await prisma.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) return undefined;

  const generatedPassword = config.seed.adminPassword ? undefined : randomBytes(12).toString('base64url');
  const password = config.seed.adminPassword ?? generatedPassword ?? '';
  await prisma.user.create({
    data: {
      email,
      name: config.seed.adminName,
      passwordHash: await hashPassword(password),
      role: 'ADMIN',
      emailVerifiedAt: new Date(),
    },
  });
  return { email, ...(generatedPassword ? { generatedPassword } : {}) };
}
