import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { PLAN_CODE_SCHEMA } from '../../entitlements/dto/entitlement-schemas.js';
import { PLAN_RULES } from '../../entitlements/plan-rules.js';

export class PlanCodeDto {
  /** A plan code from `GET /v1/billing/plans`. */
  @IsString()
  @Matches(PLAN_RULES.code, { message: 'planCode must be a plan code (lower-case letters, digits, -)' })
  @ApiProperty(PLAN_CODE_SCHEMA)
  planCode: string;
}
