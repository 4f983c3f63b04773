import { ApiProperty } from '@nestjs/swagger';
import { SubscriptionStatus } from '@app/database';
import { PLAN_CODE_SCHEMA } from '../../entitlements/dto/entitlement-schemas.js';

export class SubscriptionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** Code of the subscribed plan. */
  @ApiProperty(PLAN_CODE_SCHEMA)
  planCode: string;
  @ApiProperty({ enum: SubscriptionStatus, enumName: 'SubscriptionStatus' })
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  /** The subscription ends at `currentPeriodEnd` instead of renewing. */
  cancelAtPeriodEnd: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  trialEndsAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  canceledAt: Date | null;
}

/** A subscription as an administrator sees it. */
export class AdminSubscriptionResponseDto extends SubscriptionResponseDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  /** The billing provider that manages it. */
  @ApiProperty({ enum: ['local', 'stripe'] })
  provider: string;
  createdAt: Date;
}
