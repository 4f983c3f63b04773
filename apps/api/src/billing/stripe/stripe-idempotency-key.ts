import { createHash } from 'node:crypto';

/** The longest idempotency key Stripe accepts. */
const STRIPE_IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * The key handed to the billing provider for one operation of one user, so a retried request
 * reuses the provider's own idempotency (Stripe remembers keys for 24 hours too). Stripe accepts
 * at most 255 characters: a client key too long to fit is replaced by its SHA-256.
 */
export function providerIdempotencyKey(userId: string, operation: string, key: string): string {
  const scoped = `${userId}:${operation}:${key}`;
  if (scoped.length <= STRIPE_IDEMPOTENCY_KEY_MAX_LENGTH) return scoped;
  return `${userId}:${operation}:sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
