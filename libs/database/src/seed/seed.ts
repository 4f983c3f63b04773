import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hashPassword } from '@app/common';
import type { AppConfig } from '@app/config';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PlanInterval } from '../generated/prisma/enums.js';

interface PlanSeed {
  code: string;
  name: string;
  priceCents: number;
  currency: string;
  interval: PlanInterval;
  trialDays: number;
  providerPriceId: string | null;
  sortOrder: number;
  entitlements: { features: string[]; limits: Record<string, number> };
}

export function defaultPlansFile(): string {
  return resolve(process.cwd(), 'prisma', 'seed', 'plans.json');
}

/** Reads and checks the plans data file; a malformed file stops the seed with a clear message. */
export function readPlanSeeds(file: string): PlanSeed[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { plans?: unknown };
  if (!Array.isArray(data.plans)) throw new Error(`${file}: expected a "plans" array`);
  return data.plans.map((plan: PlanSeed, index: number) => {
    const where = `${file}: plans[${index}]`;
    if (!/^[a-z0-9-]{1,40}$/.test(plan.code)) throw new Error(`${where}.code must be 1-40 of [a-z0-9-]`);
    if (!Number.isInteger(plan.priceCents) || plan.priceCents < 0)
      throw new Error(`${where}.priceCents must be an integer >= 0`);
    if (!/^[a-z]{3}$/.test(plan.currency)) throw new Error(`${where}.currency must be a lower-case ISO 4217 code`);
    if (!Object.values(PlanInterval).includes(plan.interval))
      throw new Error(`${where}.interval must be MONTH or YEAR`);
    if (!Number.isInteger(plan.trialDays) || plan.trialDays < 0)
      throw new Error(`${where}.trialDays must be an integer >= 0`);
    if (!Array.isArray(plan.entitlements?.features) || typeof plan.entitlements.limits !== 'object') {
      throw new Error(`${where}.entitlements must be { features: string[], limits: { name: number } }`);
    }
    return plan;
  });
}

export interface SeedResult {
  plans: number;
  /** Set when the admin account was created by this run. */
  adminCreated?: { email: string; generatedPassword?: string };
}

/**
 * Idempotent: plans are upserted by code; the admin account is created once and never
 * overwritten (its password may have been changed since).
 */
/**
 * The cache key (module and parts, under the cache prefix) of the plan list BillingService serves:
 * whoever changes the plans drops it.
 */
export const PLANS_CACHE_KEY = ['billing', 'plans'] as const;

/** Upserts the plans of the data file by code; returns how many. */
export async function seedPlans(prisma: PrismaClient, plansFile = defaultPlansFile()): Promise<number> {
  const plans = readPlanSeeds(plansFile);
  for (const plan of plans) {
    const data = { ...plan, entitlements: plan.entitlements };
    await prisma.plan.upsert({ where: { code: plan.code }, create: data, update: data });
  }
  return plans.length;
}

export async function seedDatabase(
  prisma: PrismaClient,
  config: Pick<AppConfig, 'seed' | 'app'>,
  plansFile = defaultPlansFile(),
): Promise<SeedResult> {
  const result: SeedResult = { plans: await seedPlans(prisma, plansFile) };
  // Outside production an admin is always there to log in with; in production only on request.
  const email = config.seed.adminEmail ?? (config.app.env === 'production' ? undefined : 'admin@example.com');
  if (email === undefined) return result;
  const existing = await prisma.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) return result;

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
  result.adminCreated = { email, ...(generatedPassword ? { generatedPassword } : {}) };
  return result;
}
