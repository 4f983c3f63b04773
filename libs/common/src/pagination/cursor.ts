import { ValidationFailedError } from '../errors/domain-error.js';

/**
 * Opaque cursors: base64url of a small JSON tuple identifying the last row of a page
 * (its sort key and id). Clients must treat them as opaque strings.
 */
export interface CursorPosition {
  /** The sort column's value of the last row, serialised (ISO date, number or string). */
  key: string | number;
  /** The unique id that breaks ties between rows with the same key. */
  id: string;
}

/**
 * Bounds of a cursor string. The longest key is an email (254 characters, up to 4 UTF-8 bytes
 * each), so a cursor stays under ~1,420 characters; 2,048 leaves room for other sort keys.
 */
export const CURSOR_MAX_LENGTH = 2048;
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor; anything malformed is the client's fault, answered with a 400. */
export function decodeCursor(cursor: string): CursorPosition {
  const invalid = (): never => {
    throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not a valid page cursor' }]);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !(typeof parsed[0] === 'string' || typeof parsed[0] === 'number') ||
    typeof parsed[1] !== 'string'
  ) {
    return invalid();
  }
  return { key: parsed[0], id: parsed[1] };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Builds a page from rows fetched with `take: limit + 1`: the extra row only tells whether a next
 * page exists, and the cursor points at the last row actually returned.
 */
export function toPage<T>(rows: T[], limit: number, positionOf: (row: T) => CursorPosition): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, nextCursor: hasMore && last !== undefined ? encodeCursor(positionOf(last)) : null };
}
