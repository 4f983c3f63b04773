import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from './verified-tokens.js';

const IAT = 1_800_000_000;

describe(VerifiedTokens.name, () => {
  it('remembers a verified token until its exp, as jsonwebtoken counts it (now >= exp is expired)', () => {
    const sut = new VerifiedTokens<string>(900);
    sut.add('token', 'decoded', { iat: IAT, exp: IAT + 60 });

    expect(sut.get('token', (IAT + 59) * 1000 + 999)).toBe('decoded');
    expect(sut.get('token', (IAT + 60) * 1000)).toBeUndefined();
    // Dropped once expired, so the token goes back through full verification.
    expect(sut.get('token', IAT * 1000)).toBeUndefined();
  });

  it('also ends at iat + maxAge, for a token minted with a longer lifetime', () => {
    const sut = new VerifiedTokens<string>(30);
    sut.add('token', 'decoded', { iat: IAT, exp: IAT + 3_600 });

    expect(sut.get('token', (IAT + 29) * 1000)).toBe('decoded');
    expect(sut.get('token', (IAT + 30) * 1000)).toBeUndefined();
  });

  it('does not remember a token without a numeric iat', () => {
    const sut = new VerifiedTokens<string>(900);
    sut.add('token', 'decoded', { exp: IAT + 60 });

    expect(sut.get('token', IAT * 1000)).toBeUndefined();
  });

  it('knows only the exact token string', () => {
    const sut = new VerifiedTokens<string>(900);
    sut.add('token', 'decoded', { iat: IAT, exp: IAT + 60 });

    expect(sut.get('token ', IAT * 1000)).toBeUndefined();
    expect(sut.get('tokeN', IAT * 1000)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const sut = new VerifiedTokens<string>(900, 2);
    for (const token of ['a', 'b', 'c']) sut.add(token, token, { iat: IAT, exp: IAT + 60 });

    expect(['a', 'b', 'c'].map((token) => sut.get(token, IAT * 1000))).toEqual([undefined, 'b', 'c']);
  });
});
