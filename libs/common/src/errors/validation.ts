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
 * deep. Walks with its own stack, so it never overflows itself.
 */
export function assertInputDepth(value: unknown): void {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth } = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_INPUT_DEPTH) {
      throw new ValidationFailedError([{ field: '', message: `nested more than ${MAX_INPUT_DEPTH} levels deep` }]);
    }
    for (const child of Object.values(node)) pending.push({ node: child, depth: depth + 1 });
  }
}

/** The global pipe, with the depth check before class-transformer walks the input. */
class DepthCheckedValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    assertInputDepth(value);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** The global pipe: unknown fields are rejected, payloads become DTO instances, deep nesting is refused. */
export function createValidationPipe(): ValidationPipe {
  return new DepthCheckedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
