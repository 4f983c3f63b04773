import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { ValidationFailedError, type FieldError } from './domain-error.js';

/** Flattens class-validator's nested tree into `{ field: 'a.b.0.c', message }` entries. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * How deeply a request's JSON may nest. No DTO comes close; far deeper bodies (a few kilobytes of
 * `[[[[...`) would overflow the stack of recursive walkers (class-transformer, canonical JSON).
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Throws VALIDATION_FAILED when `value` nests objects or arrays more than MAX_INPUT_DEPTH levels
 * deep, or when a string in it (a value or a key) contains a NUL character, which PostgreSQL
 * cannot store in text (it would fail the query: a 500 instead of a 400). Walks with its own
 * stack, so it never overflows itself.
 */
export function assertSafeInput(value: unknown): void {
  const pending: Array<{ node: unknown; depth: number; path: string }> = [{ node: value, depth: 1, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth, path } = next;
    if (typeof node === 'string') {
      if (node.includes('\u0000'))
        throw new ValidationFailedError([
          { field: path, message: `${path || 'the input'} must not contain NUL characters` },
        ]);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_INPUT_DEPTH) {
      throw new ValidationFailedError([{ field: '', message: `nested more than ${MAX_INPUT_DEPTH} levels deep` }]);
    }
    for (const [key, child] of Object.entries(node)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000'))
        throw new ValidationFailedError([{ field: '', message: 'a field name contains a NUL character' }]);
      pending.push({ node: child, depth: depth + 1, path: childPath });
    }
  }
}

/** The global pipe, with {@link assertSafeInput} before class-transformer walks the input. */
class SafeInputValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // What the client sent (body, query, path); custom decorators hand over our own objects.
    if (metadata.type !== 'custom') assertSafeInput(value);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** The global pipe: unknown fields are rejected, payloads become DTO instances, deep nesting and NULs are refused. */
export function createValidationPipe(): ValidationPipe {
  return new SafeInputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
