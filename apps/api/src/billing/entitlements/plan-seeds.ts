import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlanInterval, type PrismaService } from '@app/database';
import { isEntitlementName, PLAN_RULES } from './plan-rules.js';

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

/** Idempotent: upserts the plans of the data file by code; returns how many. */
export async function seedPlans(prisma: PrismaService, plansFile = defaultPlansFile()): Promise<number> {
  const plans = readPlanSeeds(plansFile);
  for (const plan of plans) {
    const data = { ...plan, entitlements: plan.entitlements };
    await prisma.plan.upsert({ where: { code: plan.code }, create: data, update: data });
  }
  return plans.length;
}
