import { ApiProperty } from '@nestjs/swagger';

/** What the caller's plan grants right now. */
export class EntitlementsResponseDto {
  /** The plan the entitlements come from (`free` without a paid subscription). */
  planCode: string;
  features: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { 'projects.max': 3 } })
  limits: Record<string, number>;
}
