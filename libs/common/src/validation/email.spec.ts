import { describe, expect, it } from '@jest/globals';
import { hasInvisibleCharacters, normalizeEmail } from './email.js';

describe(normalizeEmail.name, () => {
  it.each([
    ['  Ada@Example.COM ', 'ada@example.com'],
    ['ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'ada@example.com'],
    ['\u00A0ada@example.com\u3000', 'ada@example.com'],
    ['ﬁ@example.com', 'fi@example.com'],
  ])('%j → %j', (input, normalised) => {
    expect(normalizeEmail(input)).toBe(normalised);
  });

  it('keeps invisible characters, even at the ends, for the validator to refuse', () => {
    expect(normalizeEmail('\uFEFFada@example.com')).toBe('\uFEFFada@example.com');
    expect(normalizeEmail('a\u00ADda@example.com')).toBe('a\u00ADda@example.com');
  });
});

describe(hasInvisibleCharacters.name, () => {
  it.each([
    ['zero-width space', '\u200B'],
    ['zero-width non-joiner', '\u200C'],
    ['zero-width joiner', '\u200D'],
    ['soft hyphen', '\u00AD'],
    ['word joiner', '\u2060'],
    ['byte order mark', '\uFEFF'],
    ['left-to-right mark', '\u200E'],
    ['right-to-left override', '\u202E'],
    ['combining grapheme joiner', '\u034F'],
    ['variation selector 16', '\uFE0F'],
    ['Hangul filler', '\u3164'],
  ])('finds a %s', (_name, char) => {
    expect(hasInvisibleCharacters(`ad${char}a@example.com`)).toBe(true);
  });

  it.each(['ada@example.com', 'ädä@exämple.com', 'δοκιμή@παράδειγμα.δοκιμή', 'a-b_c+d@example.com'])(
    'passes %j',
    (email) => {
      expect(hasInvisibleCharacters(email)).toBe(false);
    },
  );
});
