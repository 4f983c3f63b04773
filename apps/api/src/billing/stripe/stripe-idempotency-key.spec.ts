import { describe, expect, it } from 'vitest';
import { providerIdempotencyKey } from './stripe-idempotency-key.js';

describe(providerIdempotencyKey.name, () => {
  const userId = '0192f0c1-7e3a-7cc2-8d7a-1b2c3d4e5f60';

  it('scopes the key by user and operation', () => {
    expect(providerIdempotencyKey(userId, 'checkout', 'k-1')).toBe(`${userId}:checkout:k-1`);
  });

  it('stays within the 255 characters Stripe accepts, distinct per key', () => {
    const long = providerIdempotencyKey(userId, 'checkout', 'a'.repeat(255));

    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toMatch(new RegExp(`^${userId}:checkout:sha256:[0-9a-f]{64}$`));
    expect(providerIdempotencyKey(userId, 'checkout', 'b'.repeat(255))).not.toBe(long);
  });
});
