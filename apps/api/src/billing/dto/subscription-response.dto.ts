import { ApiProperty } from '@nestjs/swagger';
import { SubscriptionStatus } from '@app/database';

export class SubscriptionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** Code of the subscribed plan. */
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
  /** `local` or `stripe`. */
  provider: string;
  createdAt: Date;
}
