import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from './domain-error.js';
import { assertInputDepth, MAX_INPUT_DEPTH } from './validation.js';

const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe(assertInputDepth.name, () => {
  it(`takes scalars, flat bodies and ${MAX_INPUT_DEPTH} levels of nesting`, () => {
    for (const value of [undefined, null, 'x', 1, {}, { planCode: 'pro' }, nested(MAX_INPUT_DEPTH)]) {
      expect(() => assertInputDepth(value)).not.toThrow();
    }
  });

  it('refuses one level more, and bodies deep enough to overflow a recursive walk, with VALIDATION_FAILED', () => {
    for (const value of [nested(MAX_INPUT_DEPTH + 1), { a: nested(100_000) }]) {
      expect(() => assertInputDepth(value)).toThrow(ValidationFailedError);
    }
  });
});
