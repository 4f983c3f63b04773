import { ApiProperty } from '@nestjs/swagger';
import { InvoiceStatus } from '@app/database';
import { PLAN_RULES } from '../../entitlements/plan-rules.js';

export class InvoiceResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** The invoice number printed on it (the provider's, or `LOCAL-...`). */
  @ApiProperty({ maxLength: 255 })
  number: string;
  /** Amount in the currency's minor unit (cents); negative for a credit (a local plan change's unused time). */
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: -PLAN_RULES.maxPriceCents,
    maximum: PLAN_RULES.maxPriceCents,
  })
  amountCents: number;
  /** ISO 4217, lower case. */
  @ApiProperty({ maxLength: 3, pattern: PLAN_RULES.currency.source })
  currency: string;
  @ApiProperty({ enum: InvoiceStatus, enumName: 'InvoiceStatus' })
  status: InvoiceStatus;
  /** The provider's page for this invoice, when it has one. */
  @ApiProperty({ type: String, maxLength: 2048, nullable: true })
  hostedUrl: string | null;
  periodStart: Date;
  periodEnd: Date;
  createdAt: Date;
}
