import { describe, expect, it } from 'vitest';
import { ValidationFailedError } from '@app/common';
import { readIdempotencyKey } from './idempotency-key.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe(readIdempotencyKey.name, () => {
  const read = (value: string | string[] | undefined) => readIdempotencyKey({ 'idempotency-key': value });

  it('is undefined without the header', () => {
    expect(readIdempotencyKey({})).toBeUndefined();
  });

  it('refuses a header sent twice, which Node would join into one key', () => {
    const rawHeaders = ['Idempotency-Key', 'a', 'content-type', 'application/json', 'idempotency-key', 'b'];

    expect(() => readIdempotencyKey({ 'idempotency-key': 'a, b' }, rawHeaders)).toThrow(ValidationFailedError);
    expect(readIdempotencyKey({ 'idempotency-key': 'a' }, ['Idempotency-Key', 'a'])).toBe('a');
  });

  it.each([
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['a', 'a'],
    ['x'.repeat(255), 'x'.repeat(255)],
    ['with spaces and ~!@#$%^&*()', 'with spaces and ~!@#$%^&*()'],
    ['"8e03978e"', '8e03978e'],
    ['"say \\"hi\\" \\\\ there"', 'say "hi" \\ there'],
  ])('takes %j as the key %j', (value, key) => {
    expect(read(value)).toBe(key);
  });

  it.each([
    [''],
    ['""'],
    ['x'.repeat(256)],
    ['clé'],
    ['tab\there'],
    ['"unterminated\\"'],
    ['"bad \\n escape"'],
    ['"in"side"'],
    [['a', 'b']],
  ])('refuses %j with VALIDATION_FAILED on the header', (value) => {
    const error = thrown(() => read(value));

    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      extensions: {
        errors: [{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' }],
      },
    });
  });
});
