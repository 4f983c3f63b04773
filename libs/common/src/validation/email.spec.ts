import { describe, expect, it } from 'vitest';
import { hasInvisibleCharacters, hasLookAlikeCombiningMark, hasReservedEmailDomain, normalizeEmail } from './email.js';

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
    ['halfwidth Hangul filler', '\uFFA0'],
    ['Hangul choseong filler', '\u115F'],
    ['Hangul jungseong filler', '\u1160'],
    ['Braille pattern blank', '\u2800'],
    ['Ogham space mark', '\u1680'],
    ['line separator', '\u2028'],
    ['paragraph separator', '\u2029'],
    ['interlinear annotation anchor (a format control, not default-ignorable)', '\uFFF9'],
    ['Arabic number sign (a format control, not default-ignorable)', '\u0600'],
    ['private-use character', '\uE000'],
    ['unassigned code point', '\u0378'],
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

describe(hasLookAlikeCombiningMark.name, () => {
  it.each([
    ['i + U+0307, what ALİCE lower-cases to', normalizeEmail('ALİCE@example.com')],
    ['a mark NFKC cannot compose on a Latin letter', 'x\u0301@example.com'],
    ['a mark on a Greek letter', '\u03B1\u0334@example.com'],
    ['a mark on a Cyrillic letter', '\u0441\u0327@example.com'],
    ['a mark on a digit', 'a1\u0301@example.com'],
    ['a mark after the @', 'a@\u0301example.com'],
    ['a mark first', '\u0301a@example.com'],
    ['an enclosing mark', 'a\u20DD@example.com'],
  ])('finds %s', (_label, email) => {
    expect(hasLookAlikeCombiningMark(email)).toBe(true);
  });

  it.each([
    ['a decomposed accent, once NFKC composed it', normalizeEmail('jose\u0301@example.com')],
    ['precomposed Latin, Greek and Cyrillic letters', 'ädä-δοκιμή-йод@example.com'],
    ['Devanagari vowel signs and virama', 'नमस्ते@example.com'],
    ['Thai marks', 'ที่@example.com'],
    ['plain ASCII', 'a-b_c+d@example.com'],
  ])('passes %s', (_label, email) => {
    expect(hasLookAlikeCombiningMark(email)).toBe(false);
  });
});

describe(hasReservedEmailDomain.name, () => {
  it.each(['deleted+1@deleted.invalid', 'a@invalid', 'a@mail.invalid.', 'a@b@c.invalid'])('finds %j', (email) => {
    expect(hasReservedEmailDomain(email)).toBe(true);
  });

  it.each(['a@invalid.com', 'a@notinvalid', 'invalid@example.com', 'a@example.invalidx'])('passes %j', (email) => {
    expect(hasReservedEmailDomain(email)).toBe(false);
  });
});
