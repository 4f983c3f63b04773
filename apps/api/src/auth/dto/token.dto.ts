import { IsOpaqueToken } from '@app/common';

export class TokenDto {
  /** The token received by email. */
  @IsOpaqueToken()
  token: string;
}
