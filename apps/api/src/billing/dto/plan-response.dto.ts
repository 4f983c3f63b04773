import { ApiProperty } from '@nestjs/swagger';
import { PlanInterval } from '@app/database';

export class PlanResponseDto {
  /** Stable plan code, used to check out or change plan. */
  code: string;
  name: string;
  /** Price per interval in the currency's minor unit (cents). */
  priceCents: number;
  /** ISO 4217, lower case. */
  currency: string;
  @ApiProperty({ enum: PlanInterval, enumName: 'PlanInterval' })
  interval: PlanInterval;
  /** Free trial length of a new subscription. */
  trialDays: number;
  /** Feature flags the plan grants (e.g. `api.export`). */
  features: string[];
  /** Numeric limits the plan grants (e.g. `{ "projects.max": 20 }`). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { 'projects.max': 20 } })
  limits: Record<string, number>;
}
