import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { ValidationFailedError } from '@app/common';
import { SecurityEventsRepository, SecurityEventType } from '../audit/security-events.repository.js';
import { newApiKey } from '../iam/api-keys/api-key-format.js';
import type { AuthUser, ClientInfo } from '../iam/auth-user.js';
import { ROLE_PERMISSIONS } from '../iam/permissions.js';
import { ApiKeyLimitReachedError, ApiKeyNotFoundError, ApiKeyScopeNotHeldError } from './api-keys.errors.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { toApiKeyResponse, toCreatedApiKeyResponse } from './api-keys.responses.js';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto.js';
import type { CreateApiKeyDto } from './dto/create-api-key.dto.js';

const DAY_MS = 86_400_000;

/** Why keys were revoked, as the security event log shows it. */
export const ApiKeyRevocationReason = {
  RevokedByUser: 'REVOKED_BY_USER',
  UserDisabled: 'USER_DISABLED',
  UserDeleted: 'USER_DELETED',
} as const;
export type ApiKeyRevocationReason = (typeof ApiKeyRevocationReason)[keyof typeof ApiKeyRevocationReason];

/**
 * API keys of machine clients: created by their owner with a name, an expiry and scopes the
 * owner's role holds, shown once, listed without their secret, revoked. Authenticating with one
 * is iam's (`ApiKeyAuthenticator`).
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly events: SecurityEventsRepository,
    private readonly config: AppConfig,
  ) {}

  async create(caller: AuthUser, input: CreateApiKeyDto, client: ClientInfo): Promise<CreatedApiKeyResponseDto> {
    const granted = ROLE_PERMISSIONS[caller.role];
    const notHeld = input.scopes.filter((scope) => !granted.includes(scope));
    if (notHeld.length > 0) throw new ApiKeyScopeNotHeldError(notHeld);
    const { maxLifetimeSeconds, maxPerUser } = this.config.apiKeys;
    const maxDays = Math.floor(maxLifetimeSeconds / 86_400);
    if (input.expiresInDays > maxDays) {
      throw new ValidationFailedError([
        { field: 'expiresInDays', message: `expiresInDays must not be greater than ${maxDays}` },
      ]);
    }
    const now = new Date();
    const made = newApiKey();
    const key = await this.keys.createWithinLimit(
      {
        userId: caller.id,
        name: input.name,
        publicId: made.publicId,
        keyHash: made.hash,
        scopes: input.scopes,
        expiresAt: new Date(now.getTime() + input.expiresInDays * DAY_MS),
      },
      maxPerUser,
      now,
    );
    if (key === null) throw new ApiKeyLimitReachedError(maxPerUser);
    await this.recordOwn(SecurityEventType.ApiKeyCreated, caller, client, {
      apiKeyId: key.id,
      scopes: key.scopes.join(' '),
    });
    return toCreatedApiKeyResponse(key, made.key);
  }

  async listActive(userId: string): Promise<ApiKeyResponseDto[]> {
    const keys = await this.keys.listActive(userId, new Date());
    return keys.map(toApiKeyResponse);
  }

  /** Revokes one of the caller's keys; another user's key id is simply not found. */
  async revoke(caller: AuthUser, id: string, client: ClientInfo): Promise<void> {
    if (!(await this.keys.revoke(caller.id, id, new Date()))) throw new ApiKeyNotFoundError();
    await this.recordOwn(SecurityEventType.ApiKeyRevoked, caller, client, {
      apiKeyId: id,
      reason: ApiKeyRevocationReason.RevokedByUser,
    });
  }

  /**
   * Revokes every key of a user being disabled or deleted (`actorId`: who did it). Their keys are
   * refused from that moment anyway (the owner's status is checked on every use); this makes it
   * last when the account is enabled again.
   */
  async revokeAll(
    userId: string,
    reason: ApiKeyRevocationReason,
    options: { actorId: string; client?: ClientInfo },
  ): Promise<void> {
    const count = await this.keys.revokeAll(userId, new Date());
    if (count === 0) return;
    await this.events.record({
      type: SecurityEventType.ApiKeyRevoked,
      userId,
      actorId: options.actorId,
      client: options.client,
      details: { reason, count },
    });
  }

  /** An event the caller caused on their own account, from the session of their access token. */
  private recordOwn(
    type: SecurityEventType,
    caller: AuthUser,
    client: ClientInfo,
    details: Record<string, string>,
  ): Promise<void> {
    return this.events.record({
      type,
      userId: caller.id,
      actorId: caller.id,
      sessionId: caller.sessionId ?? undefined,
      client,
      details,
    });
  }
}
