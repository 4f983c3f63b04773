import { ApiProperty } from '@nestjs/swagger';
import { ApiOpaqueToken } from '@app/common';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@app/config';
import { ApiDeviceToken } from '../lockout/device-tokens.js';

/** A compact JWS: three base64url segments. */
const JWT_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

/** Issued by login and refresh. */
export class AuthTokensDto {
  /** JWT to send as `Authorization: Bearer <accessToken>`. */
  @ApiProperty({ maxLength: 2048, pattern: JWT_PATTERN })
  accessToken: string;
  /** Opaque token for `POST /v1/auth/refresh`; single use, rotated on every refresh. */
  @ApiOpaqueToken()
  refreshToken: string;
  /** Seconds until the access token expires. */
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_ACCESS_TOKEN_TTL_SECONDS })
  expiresIn: number;
}

/** Issued by login: the session's tokens and this device's device token. */
export class LoginResponseDto extends AuthTokensDto {
  /**
   * Proof that this device signed in to this account, for the next sign-ins: failed sign-ins from
   * other clients never lock it out. Browsers get it as the httpOnly `device_token` cookie too;
   * other clients send it back as `deviceToken` in the login body. Renewed on every sign-in.
   */
  @ApiDeviceToken()
  deviceToken: string;
}
