import { describe, expect, it } from 'vitest';
import { entityTag, ifNoneMatchMatches } from './http-caching.js';

describe(ifNoneMatchMatches.name, () => {
  const etag = '"abc"';

  it.each([
    ['the same tag', '"abc"'],
    ['the tag marked weak (weak comparison)', 'W/"abc"'],
    ['a list holding it', '"x", "abc" ,W/"y"'],
    ['a wildcard', ' * '],
  ])('matches %s', (_case, header) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another tag', '"abd"'],
    ['the tag unquoted', 'abc'],
    ['an empty header', ''],
  ])('does not match %s', (_case, header) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(false);
  });
});

describe(entityTag.name, () => {
  it('is a quoted, 22-character base64url digest that follows the body', () => {
    expect(entityTag('[]')).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(entityTag(Buffer.from('[]'))).toBe(entityTag('[]'));
    expect(entityTag('[1]')).not.toBe(entityTag('[]'));
  });
});
