import { IsString, Matches } from 'class-validator';

export class PlanCodeDto {
  /** A plan code from `GET /v1/billing/plans`. */
  @IsString()
  @Matches(/^[a-z0-9-]{1,40}$/, { message: 'planCode must be a plan code (lower-case letters, digits, -)' })
  planCode: string;
}
