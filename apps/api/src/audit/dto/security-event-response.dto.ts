import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Role } from '@app/database';
import { USER_AGENT_MAX_LENGTH } from '../../iam/auth-user.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../iam/permissions.js';
import { SECURITY_EVENT_TYPES } from './list-security-events-query.dto.js';
import type { SecurityEventType } from '../security-events.repository.js';

export const SecurityEventActorKind = {
  /** The account itself: signed in, or with a link mailed to it. */
  Self: 'SELF',
  /** Another account: an administrator acting on this one (only administrators' routes act on others). */
  Admin: 'ADMIN',
  /** Nobody was signed in: a failed sign-in, a forgot-password request, a refused refresh token. */
  Anonymous: 'ANONYMOUS',
} as const;
export type SecurityEventActorKind = (typeof SecurityEventActorKind)[keyof typeof SecurityEventActorKind];

/** Who caused an event. */
export class SecurityEventActorDto {
  /**
   * `SELF`: the account the event is about; `ADMIN`: an administrator acting on it; `ANONYMOUS`:
   * nobody was signed in (a failed sign-in, a forgot-password request, a refused refresh token).
   */
  @ApiProperty({ enum: Object.values(SecurityEventActorKind), enumName: 'SecurityEventActorKind' })
  kind: SecurityEventActorKind;

  /** The actor's account id; null when `ANONYMOUS`. */
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  id: string | null;
}

/**
 * What the event's type tells more, when it does; only these fields are ever shown (never an email
 * address, a token or a password).
 */
export class SecurityEventDetailsDto {
  /**
   * Why: of a failed sign-in (`wrong_password`, `unknown_email`) or of a session revocation
   * (`LOGOUT`, `USER_DISABLED`, `PASSWORD_RESET`...) or of an API key revocation (`REVOKED_BY_USER`,
   * `USER_DISABLED`, `USER_DELETED`).
   */
  @ApiPropertyOptional({ maxLength: 64, pattern: '^[A-Za-z_]+$' })
  reason?: string;

  /** A lockout's counter: `device`, `account_ip` or `account`. */
  @ApiPropertyOptional({ maxLength: 64, pattern: '^[A-Za-z_]+$' })
  scope?: string;

  /** How many sessions `ALL_SESSIONS_REVOKED` ended, or API keys `API_KEY_REVOKED` revoked at once. */
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 })
  count?: number;

  /** `ROLE_CHANGED`: the role before. */
  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  previousRole?: Role;

  /** `ROLE_CHANGED`: the role after. */
  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  newRole?: Role;

  /** `EMAIL_CHANGE_CANCELLED`: whether a confirmed change was reverted (the old address is back). */
  reverted?: boolean;

  /** `REFRESH_TOKEN_REUSED`: whether the session was still active (it is revoked now). */
  sessionWasActive?: boolean;

  /** `API_KEY_CREATED`, `API_KEY_REVOKED`: the key's id (the ids of `GET /v1/users/me/api-keys`). */
  @ApiPropertyOptional({ format: 'uuid' })
  apiKeyId?: string;

  /** `API_KEY_CREATED`: the scopes the key was given. */
  @ApiPropertyOptional({
    enum: API_KEY_SCOPES,
    enumName: 'ApiKeyScope',
    isArray: true,
    maxItems: API_KEY_SCOPES.length,
  })
  scopes?: ApiKeyScope[];
}

/** One entry of the caller's security event log: what happened, by whom, from where and when. */
export class SecurityEventResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: SECURITY_EVENT_TYPES, enumName: 'SecurityEventType' })
  type: SecurityEventType;

  /** When it happened (UTC). */
  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  /** Who did it: the account itself, an administrator, or nobody signed in. */
  actor: SecurityEventActorDto;

  /** The client's IP address (IPv4 or IPv6), as `TRUST_PROXY` lets the API see it. */
  @ApiProperty({ type: String, nullable: true, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' })
  ip: string | null;

  /** The client's User-Agent (its first 255 characters). */
  @ApiProperty({ type: String, nullable: true, maxLength: USER_AGENT_MAX_LENGTH })
  userAgent: string | null;

  /** The session the event concerns, when one does (the ids of `GET /v1/auth/sessions`). */
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sessionId: string | null;

  /** What the type tells more (empty when it tells nothing more). */
  details: SecurityEventDetailsDto;
}

/** An entry of the whole log, as an administrator reads it: with its target. */
export class AdminSecurityEventResponseDto extends SecurityEventResponseDto {
  /** The account the event is about; null for a failed sign-in with an unknown email. */
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  userId: string | null;
}
