/** Issued by login and refresh. */
export class AuthTokensDto {
  /** JWT to send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** Opaque token for `POST /v1/auth/refresh`; single use, rotated on every refresh. */
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}
