import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestAccount } from './auth.js';

/** The answer of `POST /v1/users/me/api-keys`. */
export interface CreatedKey {
  id: string;
  name: string;
  publicId: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  key: string;
}

/** Creates an API key for `owner` through the API (profile:read, 30 days unless told). */
export async function createApiKey(
  app: NestFastifyApplication,
  owner: TestAccount,
  overrides: { name?: string; scopes?: string[]; expiresInDays?: number } = {},
): Promise<CreatedKey> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/users/me/api-keys',
    headers: owner.auth,
    payload: { name: 'Test key', scopes: ['profile:read'], expiresInDays: 30, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`API key creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** `{ 'x-api-key': <key> }` */
export function keyAuth(key: { key: string }): { 'x-api-key': string } {
  return { 'x-api-key': key.key };
}
