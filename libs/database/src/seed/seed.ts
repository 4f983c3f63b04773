import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hashPassword, ONE_LINE_TEXT } from '@app/common';
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

/**
 * What a plan in the data file may hold. The API documents the same bounds in OpenAPI, so the
 * seed refuses a file the spec would not describe.
 */
export const PLAN_RULES = {
  maxPlans: 100,
  code: /^[a-z0-9-]{1,40}$/,
  codeMaxLength: 40,
  nameMaxLength: 100,
  /** Trimmed, on one line. */
  name: ONE_LINE_TEXT,
  currency: /^[a-z]{3}$/,
  /** The column is a 32-bit integer. */
  maxPriceCents: 2_147_483_647,
  /** Stripe's longest trial. */
  maxTrialDays: 730,
  /** `api.export`, `projects.max`: lower-case words joined by `.`, `_` or `-`. */
  entitlementName: /^[a-z0-9]+([._-][a-z0-9]+)*$/,
  entitlementNameMaxLength: 64,
  maxFeatures: 100,
  maxLimits: 100,
} as const;

/** A feature or limit name within {@link PLAN_RULES}. */
export function isEntitlementName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= PLAN_RULES.entitlementNameMaxLength &&
    PLAN_RULES.entitlementName.test(value)
  );
}

/** Reads and checks the plans data file; a malformed file stops the seed with a clear message. */
export function readPlanSeeds(file: string): PlanSeed[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { plans?: unknown };
  if (!Array.isArray(data.plans)) throw new Error(`${file}: expected a "plans" array`);
  if (data.plans.length > PLAN_RULES.maxPlans) throw new Error(`${file}: at most ${PLAN_RULES.maxPlans} plans`);
  const codes = new Set<string>();
  return data.plans.map((plan: PlanSeed, index: number) => {
    const where = `${file}: plans[${index}]`;
    const fail = (message: string): never => {
      throw new Error(`${where}.${message}`);
    };
    if (typeof plan.code !== 'string' || !PLAN_RULES.code.test(plan.code)) fail('code must be 1-40 of [a-z0-9-]');
    if (codes.has(plan.code)) fail(`code "${plan.code}" is used by an earlier plan`);
    codes.add(plan.code);
    if (
      typeof plan.name !== 'string' ||
      !PLAN_RULES.name.test(plan.name) ||
      plan.name.length > PLAN_RULES.nameMaxLength
    )
      fail(`name must be 1-${PLAN_RULES.nameMaxLength} characters on one line, without surrounding spaces`);
    if (!Number.isInteger(plan.priceCents) || plan.priceCents < 0 || plan.priceCents > PLAN_RULES.maxPriceCents)
      fail(`priceCents must be an integer from 0 to ${PLAN_RULES.maxPriceCents}`);
    if (typeof plan.currency !== 'string' || !PLAN_RULES.currency.test(plan.currency))
      fail('currency must be a lower-case ISO 4217 code');
    if (!Object.values(PlanInterval).includes(plan.interval)) fail('interval must be MONTH or YEAR');
    if (!Number.isInteger(plan.trialDays) || plan.trialDays < 0 || plan.trialDays > PLAN_RULES.maxTrialDays)
      fail(`trialDays must be an integer from 0 to ${PLAN_RULES.maxTrialDays}`);
    const { features, limits } = (plan.entitlements ?? {}) as { features?: unknown; limits?: unknown };
    if (!Array.isArray(features) || features.length > PLAN_RULES.maxFeatures || !features.every(isEntitlementName)) {
      fail(`entitlements.features must be at most ${PLAN_RULES.maxFeatures} names like "api.export"`);
    }
    if (
      typeof limits !== 'object' ||
      limits === null ||
      Array.isArray(limits) ||
      Object.keys(limits).length > PLAN_RULES.maxLimits ||
      !Object.entries(limits).every(
        ([name, value]) => isEntitlementName(name) && Number.isSafeInteger(value) && (value as number) >= 0,
      )
    ) {
      fail(`entitlements.limits must map at most ${PLAN_RULES.maxLimits} names like "projects.max" to integers >= 0`);
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
