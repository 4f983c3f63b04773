import type { ApiKey } from '@app/database';
import type { ApiKeyScope } from '../iam/permissions.js';
import type { ApiKeyResponseDto, CreatedApiKeyResponseDto } from './dto/api-key-response.dto.js';

export function toApiKeyResponse(key: ApiKey): ApiKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    publicId: key.publicId,
    scopes: key.scopes as ApiKeyScope[],
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** The answer to a creation: the only one that carries `secret`, the whole key. */
export function toCreatedApiKeyResponse(key: ApiKey, secret: string): CreatedApiKeyResponseDto {
  return { ...toApiKeyResponse(key), key: secret };
}
