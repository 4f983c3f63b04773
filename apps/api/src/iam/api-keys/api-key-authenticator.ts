import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import type { AuthUser } from '../auth-user.js';
import { InvalidApiKeyError } from '../iam.errors.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../permissions.js';
import { API_KEY_LENGTH, API_KEY_PATTERN, hashApiKey } from './api-key-format.js';
import { ApiKeyCredentialsRepository } from './api-key-credentials.repository.js';

const SCOPES: ReadonlySet<string> = new Set(API_KEY_SCOPES);

/**
 * Authenticates an API key: looked up by its SHA-256 on the primary with its owner, in one query,
 * on every request, so a revocation, an expiry, a disabled or deleted owner and a role change are
 * seen at once by every instance. A key of the wrong shape is refused before any lookup.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly lastUsedIntervalMs: number;

  constructor(
    private readonly keys: ApiKeyCredentialsRepository,
    config: AppConfig,
  ) {
    this.lastUsedIntervalMs = config.apiKeys.lastUsedIntervalSeconds * 1000;
  }

  /** The key's owner as the caller, limited to the key's scopes; {@link InvalidApiKeyError} otherwise. */
  async authenticate(key: string): Promise<AuthUser> {
    if (key.length !== API_KEY_LENGTH || !API_KEY_PATTERN.test(key)) throw new InvalidApiKeyError();
    const found = await this.keys.findByHash(hashApiKey(key));
    const now = new Date();
    if (found === null || found.revokedAt !== null || found.expiresAt <= now || found.owner.status !== 'ACTIVE') {
      throw new InvalidApiKeyError();
    }
    const staleBefore = new Date(now.getTime() - this.lastUsedIntervalMs);
    if (found.lastUsedAt === null || found.lastUsedAt < staleBefore) await this.keys.touch(found.id, now, staleBefore);
    return {
      id: found.userId,
      sessionId: null,
      role: found.owner.role,
      apiKey: { id: found.id, scopes: found.scopes.filter((scope): scope is ApiKeyScope => SCOPES.has(scope)) },
    };
  }
}
