import { ValidationFailedError } from '@app/common';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set to `true` on a response that is the stored answer to an earlier request with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

const MAX_KEY_LENGTH = 255;
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The Idempotency-Key of a request, or undefined when it has none (the header is optional).
 * The IETF draft defines the field as a Structured Field string (`Idempotency-Key: "a-key"`); the
 * unquoted form most payment APIs accept is taken too, so `"a-key"` and `a-key` name the same key.
 * Throws VALIDATION_FAILED unless the key is 1 to 255 printable ASCII characters, sent once: with
 * `rawHeaders` (the request's header lines) a repeated header is refused rather than read as the
 * one key Node joins its values into (`a, b`).
 */
export function readIdempotencyKey(
  headers: Record<string, string | string[] | undefined>,
  rawHeaders: readonly string[] = [],
): string | undefined {
  const raw = headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (raw === undefined) return undefined;
  const lines = rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'idempotency-key').length;
  if (lines > 1) throw invalidKey(`${IDEMPOTENCY_KEY_HEADER} must be sent once`);
  const key = typeof raw === 'string' ? unquote(raw.trim()) : undefined;
  if (key === undefined || !VALID_KEY.test(key)) {
    throw invalidKey(`${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`);
  }
  return key;
}

function invalidKey(message: string): ValidationFailedError {
  return new ValidationFailedError([{ field: IDEMPOTENCY_KEY_HEADER, message }]);
}

/** The content of an sf-string (RFC 8941 §3.3.3), the value itself when unquoted, undefined when malformed. */
function unquote(value: string): string | undefined {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  let content = '';
  for (let i = 1; i < value.length - 1; i++) {
    let char = value[i];
    if (char === '\\') {
      char = value[++i];
      if (i === value.length - 1 || (char !== '"' && char !== '\\')) return undefined;
    } else if (char === '"') {
      return undefined;
    }
    content += char;
  }
  return content;
}
