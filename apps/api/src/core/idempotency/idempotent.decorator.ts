import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ApiProblemResponses } from '@app/common';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency-key.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/**
 * Makes an authenticated POST route safe to retry with an `Idempotency-Key` header, and documents
 * the header and its errors in OpenAPI. A handler that hands the key on to another service (a
 * payment provider's own idempotency) reads it with `readIdempotencyKey`.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\x20-\x7e]+$' },
      description:
        'Makes the request safe to retry (IETF draft "The Idempotency-Key HTTP Header Field"): a unique value of 1-255 ' +
        'printable ASCII characters, e.g. a UUID, quoted or not. The first response to a key is stored for 24 hours, per ' +
        'user, sealed with a key derived from yours (the server keeps neither your key nor a readable response); ' +
        `a retry with the same key, route and body gets it again, with \`${IDEMPOTENT_REPLAYED_HEADER}: true\`, and ` +
        'changes nothing. Refusals of the request (4xx but 429) are stored and replayed too; after a 5xx or 429 the key ' +
        'is free again, to retry. ' +
        'The same key with another route or body: 422 `IDEMPOTENCY_KEY_REUSED`; while the first request still runs: ' +
        '409 `IDEMPOTENCY_KEY_IN_PROGRESS`; a malformed key: 400 `VALIDATION_FAILED`.',
    }),
    ApiProblemResponses(400, 409, 422),
  );
}
