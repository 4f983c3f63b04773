import type { Plan } from '@app/database';
import { isEntitlementName, PLAN_RULES } from './plan-rules.js';

/** What a plan grants: feature flags and numeric limits. */
export interface Entitlements {
  planCode: string;
  features: string[];
  limits: Record<string, number>;
}

/**
 * The `entitlements` JSON of a plan, checked with the seed's rules: a malformed row (edited by
 * hand in the database) grants nothing it can't describe.
 */
export function entitlementsOf(plan: Plan): Entitlements {
  const raw = (plan.entitlements ?? {}) as { features?: unknown; limits?: unknown };
  const features = Array.isArray(raw.features)
    ? raw.features.filter(isEntitlementName).slice(0, PLAN_RULES.maxFeatures)
    : [];
  const limits: Record<string, number> = {};
  if (raw.limits && typeof raw.limits === 'object') {
    for (const [name, value] of Object.entries(raw.limits).slice(0, PLAN_RULES.maxLimits)) {
      if (isEntitlementName(name) && Number.isSafeInteger(value) && (value as number) >= 0)
        limits[name] = value as number;
    }
  }
  return { planCode: plan.code, features, limits };
}

/**
 * The cache key (module and parts, under the cache prefix) of a user's entitlements, which
 * EntitlementsService caches: every change to the user's subscription drops it.
 */
export function entitlementsCacheKey(userId: string): readonly [string, ...string[]] {
  return ['billing', 'entitlements', userId];
}
