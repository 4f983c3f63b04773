/** One signed-in device of the caller. */
export class SessionResponseDto {
  /** Session id; use it to revoke the session. */
  id: string;
  /** The User-Agent the session signed in with. */
  device: string | null;
  /** The IP address the session signed in from. */
  ip: string | null;
  /** When the session signed in. */
  createdAt: Date;
  /** When the session last refreshed its tokens. */
  lastUsedAt: Date;
  /** True for the session of the access token making this request. */
  current: boolean;
}
