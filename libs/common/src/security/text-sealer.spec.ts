import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { TextSealer } from './text-sealer.js';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe(TextSealer.name, () => {
  const current = key('k2');
  const previous = key('k1');
  const sut = new TextSealer([current, previous]);
  const url = 'https://invoice.example.com/i/acct_1/in_123?s=ap';

  it('seals under the first key, readable by nobody without it, and opens again', () => {
    const sealed = sut.seal(url, 'invoices.hostedUrl:u1');

    expect(sealed).toMatch(/^sealed:v1:k2:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('invoice.example.com');
    expect(TextSealer.isSealed(sealed)).toBe(true);
    expect(sut.open(sealed, 'invoices.hostedUrl:u1')).toBe(url);
  });

  it('uses a fresh nonce every time', () => {
    expect(sut.seal(url, 'c')).not.toBe(sut.seal(url, 'c'));
  });

  it('opens what an older key sealed while that key is listed (rotation), and nothing once it is gone', () => {
    const sealedBefore = new TextSealer([previous]).seal(url, 'c');

    expect(sut.open(sealedBefore, 'c')).toBe(url);
    expect(new TextSealer([current]).open(sealedBefore, 'c')).toBeUndefined();
  });

  it('opens nothing for another context, an altered value, a truncated value or an unknown form', () => {
    const sealed = sut.seal(url, 'invoices.hostedUrl:u1');
    const body = sealed.slice('sealed:v1:k2:'.length);
    const flipped = `${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;

    expect(sut.open(sealed, 'invoices.hostedUrl:u2')).toBeUndefined();
    expect(sut.open(`sealed:v1:k2:${flipped}`, 'invoices.hostedUrl:u1')).toBeUndefined();
    expect(sut.open(`sealed:v1:k2:${body.slice(0, 20)}`, 'invoices.hostedUrl:u1')).toBeUndefined();
    expect(sut.open(`sealed:v1:k3:${body}`, 'invoices.hostedUrl:u1')).toBeUndefined();
    expect(sut.open(url, 'invoices.hostedUrl:u1')).toBeUndefined();
    expect(TextSealer.isSealed(url)).toBe(false);
  });

  it('refuses keys that are not 32 bytes, and an empty key list', () => {
    expect(() => new TextSealer([{ id: 'short', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => new TextSealer([])).toThrow(/at least one key/);
  });
});
