import { ApiProperty } from '@nestjs/swagger';
import { MAX_API_KEYS_PER_USER } from '@app/config';
import { API_KEY_LENGTH, API_KEY_PATTERN, API_KEY_PUBLIC_ID_LENGTH } from '../../iam/api-keys/api-key-format.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../iam/permissions.js';
import { API_KEY_NAME_MAX_LENGTH, API_KEY_NAME_PATTERN } from './api-key-fields.js';

/** `GET /v1/users/me/api-keys` lists at most this many keys (the most `API_KEY_MAX_PER_USER` allows). */
export const MAX_LISTED_API_KEYS = MAX_API_KEYS_PER_USER;

/** One of the caller's API keys, without its secret (which is shown once, at creation). */
export class ApiKeyResponseDto {
  /** Key id; use it to revoke the key. */
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ maxLength: API_KEY_NAME_MAX_LENGTH, pattern: API_KEY_NAME_PATTERN.source })
  name: string;

  /** The key's non-secret middle part (`nsk_<publicId>_...`), to tell which key a client holds. */
  @ApiProperty({
    minLength: API_KEY_PUBLIC_ID_LENGTH,
    maxLength: API_KEY_PUBLIC_ID_LENGTH,
    pattern: `^[A-Za-z0-9]{${API_KEY_PUBLIC_ID_LENGTH}}$`,
  })
  publicId: string;

  /** The permissions the key may use (while its owner's role holds them). */
  @ApiProperty({
    enum: API_KEY_SCOPES,
    enumName: 'ApiKeyScope',
    isArray: true,
    maxItems: API_KEY_SCOPES.length,
  })
  scopes: ApiKeyScope[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  /** When the key last authenticated a request, to within `API_KEY_LAST_USED_INTERVAL` (1 min); null: never. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lastUsedAt: string | null;
}

/** A key just created: the only answer that carries the key itself. */
export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /** The key: store it now, it is never shown again (only its SHA-256 is kept). */
  @ApiProperty({ minLength: API_KEY_LENGTH, maxLength: API_KEY_LENGTH, pattern: API_KEY_PATTERN.source })
  key: string;
}
