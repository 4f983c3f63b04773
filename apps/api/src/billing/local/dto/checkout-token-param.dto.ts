import { Matches } from 'class-validator';
import { ApiOpaqueToken, OPAQUE_TOKEN_PATTERN } from '@app/common';

export class CheckoutTokenParamDto {
  /** The token of a local checkout link. */
  @Matches(OPAQUE_TOKEN_PATTERN, { message: 'token must be a checkout link token' })
  @ApiOpaqueToken()
  token: string;
}
