import { ApiProperty } from '@nestjs/swagger';

/** Where to send the user's browser. */
export class RedirectResponseDto {
  /** An https URL of the provider (or of this API, for the local provider). */
  @ApiProperty({ format: 'uri', maxLength: 2048 })
  url: string;
}
