import { ApiProperty } from '@nestjs/swagger';
import { ApiOpaqueToken } from '@app/common';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '@app/config';

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
