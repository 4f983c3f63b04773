import { ApiProperty } from '@nestjs/swagger';
import { USER_AGENT_MAX_LENGTH } from '../../iam/auth-user.js';

/** `GET /v1/auth/sessions` lists at most this many sessions, the most recently used first. */
export const MAX_LISTED_SESSIONS = 100;

/** One signed-in device of the caller. */
export class SessionResponseDto {
  /** Session id; use it to revoke the session. */
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** The User-Agent the session signed in with (its first 255 characters). */
  @ApiProperty({ type: String, nullable: true, maxLength: USER_AGENT_MAX_LENGTH })
  device: string | null;
  /** The IP address the session signed in from (IPv4 or IPv6). */
  @ApiProperty({ type: String, nullable: true, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' })
  ip: string | null;
  /** When the session signed in. */
  createdAt: Date;
  /** When the session last refreshed its tokens. */
  lastUsedAt: Date;
  /** True for the session of the access token making this request. */
  current: boolean;
}
