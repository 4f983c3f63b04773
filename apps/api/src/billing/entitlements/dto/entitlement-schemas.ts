import type { ApiPropertyOptions } from '@nestjs/swagger';
import { PLAN_RULES } from '../plan-rules.js';

/** OpenAPI shapes of a plan's entitlements, with the bounds the seed enforces (`PLAN_RULES`). */
export const PLAN_CODE_SCHEMA: ApiPropertyOptions = {
  type: 'string',
  maxLength: PLAN_RULES.codeMaxLength,
  pattern: PLAN_RULES.code.source,
};

export const FEATURES_SCHEMA: ApiPropertyOptions = {
  type: 'array',
  maxItems: PLAN_RULES.maxFeatures,
  items: { type: 'string', maxLength: PLAN_RULES.entitlementNameMaxLength, pattern: PLAN_RULES.entitlementName.source },
};

export const LIMITS_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  maxProperties: PLAN_RULES.maxLimits,
  additionalProperties: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
};
