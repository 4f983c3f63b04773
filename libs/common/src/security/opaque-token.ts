import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets (refresh tokens, emailed tokens, checkout links): 256 random bits,
 * base64url (43 characters). Only their {@link hashOpaqueToken} is ever stored: with that much
 * entropy a fast hash is enough, and a leaked table reveals no usable token.
 */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
