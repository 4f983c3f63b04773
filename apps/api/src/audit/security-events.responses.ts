import { Role, type SecurityEvent } from '@app/database';
import {
  SecurityEventActorKind,
  type AdminSecurityEventResponseDto,
  type SecurityEventActorDto,
  type SecurityEventDetailsDto,
  type SecurityEventResponseDto,
} from './dto/security-event-response.dto.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../iam/permissions.js';
import { SecurityEventType } from './security-events.repository.js';

type Details = Record<string, unknown>;

const word = (value: unknown) => (typeof value === 'string' && /^[A-Za-z_]{1,64}$/.test(value) ? value : undefined);
const count = (value: unknown) => (Number.isInteger(value) && (value as number) >= 0 ? (value as number) : undefined);
const flag = (value: unknown) => (typeof value === 'boolean' ? value : undefined);
const uuid = (value: unknown) =>
  typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
    ? value
    : undefined;
const scopes = (value: unknown) =>
  typeof value === 'string'
    ? value.split(' ').filter((scope): scope is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(scope))
    : undefined;
const role = (value: unknown) => (Object.values(Role).includes(value as Role) ? (value as Role) : undefined);

/**
 * The details each type shows, read from what its call site records. Only these: the rest stays in
 * the table (the addresses an email change moved between, the administrator's id in older rows'
 * `by`, which `actor` now says).
 */
const SHOWN_DETAILS: Partial<Record<SecurityEventType, (details: Details) => SecurityEventDetailsDto>> = {
  [SecurityEventType.LoginFailed]: (d) => ({ reason: word(d.reason) }),
  [SecurityEventType.LoginLockedOut]: (d) => ({ scope: word(d.scope) }),
  [SecurityEventType.SessionRevoked]: (d) => ({ reason: word(d.reason) }),
  [SecurityEventType.AllSessionsRevoked]: (d) => ({ reason: word(d.reason), count: count(d.count) }),
  [SecurityEventType.RefreshTokenReused]: (d) => ({ sessionWasActive: flag(d.sessionWasActive) }),
  [SecurityEventType.RoleChanged]: (d) => ({ previousRole: role(d.from), newRole: role(d.to) }),
  [SecurityEventType.EmailChangeCancelled]: (d) => ({ reverted: flag(d.reverted) }),
  [SecurityEventType.ApiKeyCreated]: (d) => ({ apiKeyId: uuid(d.apiKeyId), scopes: scopes(d.scopes) }),
  [SecurityEventType.ApiKeyRevoked]: (d) => ({
    apiKeyId: uuid(d.apiKeyId),
    reason: word(d.reason),
    count: count(d.count),
  }),
};

function detailsOf(event: SecurityEvent): SecurityEventDetailsDto {
  const stored = event.details;
  const pick = SHOWN_DETAILS[event.type as SecurityEventType];
  if (!pick || typeof stored !== 'object' || stored === null || Array.isArray(stored)) return {};
  // Fields the stored row lacks are left out, not sent as undefined.
  return Object.fromEntries(Object.entries(pick(stored)).filter(([, value]) => value !== undefined));
}

function actorOf(event: SecurityEvent): SecurityEventActorDto {
  if (event.actorId === null) return { kind: SecurityEventActorKind.Anonymous, id: null };
  const self = event.userId === null || event.actorId === event.userId;
  return { kind: self ? SecurityEventActorKind.Self : SecurityEventActorKind.Admin, id: event.actorId };
}

export function toSecurityEventResponse(event: SecurityEvent): SecurityEventResponseDto {
  return {
    id: event.id,
    type: event.type as SecurityEventType,
    createdAt: event.createdAt.toISOString(),
    actor: actorOf(event),
    ip: event.ip,
    userAgent: event.userAgent,
    sessionId: event.sessionId,
    details: detailsOf(event),
  };
}

export function toAdminSecurityEventResponse(event: SecurityEvent): AdminSecurityEventResponseDto {
  return { ...toSecurityEventResponse(event), userId: event.userId };
}
