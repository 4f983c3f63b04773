import { ApiProperty } from '@nestjs/swagger';
import { PlanInterval } from '@app/database';
import { FEATURES_SCHEMA, LIMITS_SCHEMA, PLAN_CODE_SCHEMA } from '../../entitlements/dto/entitlement-schemas.js';
import { PLAN_RULES } from '../../entitlements/plan-rules.js';

export class PlanResponseDto {
  /** Stable plan code, used to check out or change plan. */
  @ApiProperty(PLAN_CODE_SCHEMA)
  code: string;
  @ApiProperty({ maxLength: PLAN_RULES.nameMaxLength, pattern: PLAN_RULES.name.source })
  name: string;
  /** Price per interval in the currency's minor unit (cents). */
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: PLAN_RULES.maxPriceCents })
  priceCents: number;
  /** ISO 4217, lower case. */
  @ApiProperty({ maxLength: 3, pattern: PLAN_RULES.currency.source })
  currency: string;
  @ApiProperty({ enum: PlanInterval, enumName: 'PlanInterval' })
  interval: PlanInterval;
  /** Free trial length of a new subscription. */
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: PLAN_RULES.maxTrialDays })
  trialDays: number;
  /** Feature flags the plan grants (e.g. `api.export`). */
  @ApiProperty(FEATURES_SCHEMA)
  features: string[];
  /** Numeric limits the plan grants (e.g. `{ "projects.max": 20 }`). */
  @ApiProperty({ ...LIMITS_SCHEMA, example: { 'projects.max': 20 } })
  limits: Record<string, number>;
}
