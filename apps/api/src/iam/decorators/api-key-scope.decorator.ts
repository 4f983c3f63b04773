import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { ApiKeyScope as Scope } from '../permissions.js';

export const API_KEY_SCOPE_KEY = 'auth:api-key-scope';

/** The OpenAPI security scheme of API keys (`X-API-Key`, or the key as a bearer credential). */
export const API_KEY_SCHEME = 'apiKey';

/**
 * Accepts API keys that hold `scope` on this route (besides access tokens), and says so in OpenAPI:
 * the `apiKey` security scheme. A route without it refuses every key (403 `API_KEY_NOT_ACCEPTED`).
 * Put it with `@Auth(...)`, which documents the 401 and 403.
 */
export function ApiKeyScope(scope: Scope): MethodDecorator {
  return applyDecorators(SetMetadata(API_KEY_SCOPE_KEY, scope), ApiSecurity(API_KEY_SCHEME));
}
