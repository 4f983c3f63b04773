import { ApiProperty } from '@nestjs/swagger';
import { FEATURES_SCHEMA, LIMITS_SCHEMA, PLAN_CODE_SCHEMA } from './entitlement-schemas.js';

/** What the caller's plan grants right now. */
export class EntitlementsResponseDto {
  /** The plan the entitlements come from (`free` without a paid subscription). */
  @ApiProperty(PLAN_CODE_SCHEMA)
  planCode: string;
  /** Feature flags granted (e.g. `api.export`). */
  @ApiProperty(FEATURES_SCHEMA)
  features: string[];
  /** Numeric limits granted; a limit not listed is 0. */
  @ApiProperty({ ...LIMITS_SCHEMA, example: { 'projects.max': 3 } })
  limits: Record<string, number>;
}
