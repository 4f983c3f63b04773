import { IsOpaqueToken } from '@app/common';

export class RefreshDto {
  /** The refresh token from the last login or refresh; each one works once. */
  @IsOpaqueToken()
  refreshToken: string;
}
