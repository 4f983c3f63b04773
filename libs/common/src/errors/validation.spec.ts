import { describe, expect, it } from 'vitest';
import { ValidationFailedError } from './domain-error.js';
import { assertSafeInput, MAX_INPUT_DEPTH } from './validation.js';

const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe(assertSafeInput.name, () => {
  it(`takes scalars, flat bodies and ${MAX_INPUT_DEPTH} levels of nesting`, () => {
    for (const value of [undefined, null, 'x', 1, {}, { planCode: 'pro' }, nested(MAX_INPUT_DEPTH)]) {
      expect(() => assertSafeInput(value)).not.toThrow();
    }
  });

  it('refuses one level more, and bodies deep enough to overflow a recursive walk, with VALIDATION_FAILED', () => {
    for (const value of [nested(MAX_INPUT_DEPTH + 1), { a: nested(100_000) }]) {
      expect(() => assertSafeInput(value)).toThrow(ValidationFailedError);
    }
  });

  it('refuses a NUL character in any string or key, naming the field', () => {
    expect(() => assertSafeInput({ name: 'a\u0000b' })).toThrow(
      expect.objectContaining({
        extensions: { errors: [{ field: 'name', message: 'name must not contain NUL characters' }] },
      }),
    );
    expect(() => assertSafeInput({ items: [{ note: '\u0000' }] })).toThrow(ValidationFailedError);
    expect(() => assertSafeInput({ 'a\u0000': 1 })).toThrow(ValidationFailedError);
    expect(() => assertSafeInput('\u0000')).toThrow(ValidationFailedError);
    expect(() => assertSafeInput({ name: 'tab\tand newline\n are fine' })).not.toThrow();
  });
});
