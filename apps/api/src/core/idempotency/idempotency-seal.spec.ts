import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { IdempotencySeal } from './idempotency-seal.js';

const userId = '0192f0c1-7e3a-7cc2-8d7a-1b2c3d4e5f60';
const otherUser = '0192f0c1-7e3a-7cc2-8d7a-1b2c3d4e5f61';
const sealWith = (secret: string) => new IdempotencySeal(loadConfig({ JWT_SECRET: secret }));
const sut = sealWith('first-server-secret-Vq9!xT2#mZ7kLp4');
const text = JSON.stringify({ url: 'http://localhost:3000/v1/billing/local-checkout/abc' });

describe(IdempotencySeal.name, () => {
  it('opens what it sealed, for the same user and key', () => {
    expect(sut.open(userId, 'k-1', sut.seal(userId, 'k-1', text))).toBe(text);
  });

  it('seals the same text differently each time (a fresh nonce), and without the text in it', () => {
    const [a, b] = [sut.seal(userId, 'k-1', text), sut.seal(userId, 'k-1', text)];

    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a).toString('latin1')).not.toContain('local-checkout');
  });

  it.each([
    ['another key', () => sut.open(userId, 'k-2', sut.seal(userId, 'k-1', text))],
    ['another user', () => sut.open(otherUser, 'k-1', sut.seal(userId, 'k-1', text))],
    [
      'another server secret',
      () => sealWith('other-server-secret-Vq9!xT2#mZ7kLp4').open(userId, 'k-1', sut.seal(userId, 'k-1', text)),
    ],
    [
      'an altered byte',
      () => {
        const sealed = sut.seal(userId, 'k-1', text);
        sealed[20] = (sealed[20] ?? 0) ^ 1;
        return sut.open(userId, 'k-1', sealed);
      },
    ],
    ['a truncated value', () => sut.open(userId, 'k-1', sut.seal(userId, 'k-1', text).subarray(0, 20))],
  ])('cannot be opened with %s', (_label, open) => {
    expect(open()).toBeUndefined();
  });

  it('hashes the key per user and per server secret, as 64 hex digits', () => {
    const hash = sut.keyHash(userId, 'k-1');

    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sut.keyHash(userId, 'k-1')).toBe(hash);
    expect(sut.keyHash(otherUser, 'k-1')).not.toBe(hash);
    expect(sut.keyHash(userId, 'k-2')).not.toBe(hash);
    expect(sealWith('other-server-secret-Vq9!xT2#mZ7kLp4').keyHash(userId, 'k-1')).not.toBe(hash);
  });
});
