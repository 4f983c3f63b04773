import type { Plan } from '@app/database';

/** What a plan grants: feature flags and numeric limits. */
export interface Entitlements {
  planCode: string;
  features: string[];
  limits: Record<string, number>;
}

/** The `entitlements` JSON of a plan, checked: a malformed data file grants nothing. */
export function entitlementsOf(plan: Plan): Entitlements {
  const raw = (plan.entitlements ?? {}) as { features?: unknown; limits?: unknown };
  const features = Array.isArray(raw.features) ? raw.features.filter((f): f is string => typeof f === 'string') : [];
  const limits: Record<string, number> = {};
  if (raw.limits && typeof raw.limits === 'object') {
    for (const [name, value] of Object.entries(raw.limits)) {
      if (typeof value === 'number' && Number.isFinite(value)) limits[name] = value;
    }
  }
  return { planCode: plan.code, features, limits };
}
