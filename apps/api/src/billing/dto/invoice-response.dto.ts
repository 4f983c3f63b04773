import { ApiProperty } from '@nestjs/swagger';
import { InvoiceStatus } from '@app/database';

export class InvoiceResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  number: string;
  /** Amount in the currency's minor unit (cents). */
  amountCents: number;
  currency: string;
  @ApiProperty({ enum: InvoiceStatus, enumName: 'InvoiceStatus' })
  status: InvoiceStatus;
  /** The provider's page for this invoice, when it has one. */
  @ApiProperty({ type: String, nullable: true })
  hostedUrl: string | null;
  periodStart: Date;
  periodEnd: Date;
  createdAt: Date;
}
