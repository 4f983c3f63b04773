import { ONE_LINE_TEXT } from '@app/common';

/**
 * What a plan may hold. The plans data file is checked against these bounds, and the API documents
 * the same bounds in OpenAPI, so the seed refuses a file the spec would not describe.
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

/**
 * The cache key (module and parts, under the cache prefix) of the plan list BillingService serves:
 * whoever changes the plans drops it.
 */
export const PLANS_CACHE_KEY = ['billing', 'plans'] as const;
