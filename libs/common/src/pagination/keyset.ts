import { ValidationFailedError } from '../errors/domain-error.js';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN, INVALID_CURSOR_MESSAGE, type Page } from './cursor.js';

/**
 * The type of a key column, as a cursor must carry it:
 * - `date`: a timestamp, written as `Date.toISOString()` gives it (milliseconds, UTC), in the years
 *   0001 to 9999: PostgreSQL has no year 0 (`0000-...` fails the query: 22008, date/time field value
 *   out of range), and `toISOString()` writes years past 9999 or before 0000 as `±YYYYYY`;
 * - `string`: text (no NUL character, no lone surrogate: PostgreSQL cannot compare those);
 * - `uuid`: a UUID in its canonical hex form (any version);
 * - `integer`: a whole number in PostgreSQL's `integer` range (Prisma's `Int`).
 */
export type KeyType = 'date' | 'string' | 'uuid' | 'integer';

interface KeyValues {
  date: Date;
  string: string;
  uuid: string;
  integer: number;
}

/** Key columns in sort order, the last one unique (the id that breaks ties): `{ createdAt: 'date', id: 'uuid' }`. */
export type KeyColumns = Readonly<Record<string, KeyType>>;

/** A row's position in the order: the value of each key column. */
export type KeysetPosition<C extends KeyColumns> = { -readonly [K in keyof C]: KeyValues[C[K]] };

/** The position type of a keyset, or of any of a union of keysets (a list that sorts by the caller's choice). */
export type PositionOf<K> = K extends Keyset<infer C> ? KeysetPosition<C> : never;

export type SortOrder = 'asc' | 'desc';

type Condition<T> = T | { gt: T } | { lt: T };

/**
 * Rows strictly after a position, as a plain where object (`{ OR: [...] }`) that Prisma's where
 * inputs accept as they are: `(a > x) OR (a = x AND id > y)`, with `<` for a descending order.
 */
export type KeysetWhere<C extends KeyColumns> = { OR?: Array<{ [K in keyof C]?: Condition<KeyValues[C[K]]> }> };

/** The matching `orderBy` list: every key column, in the same direction. */
export type KeysetOrderBy<C extends KeyColumns> = Array<{ [K in keyof C]?: SortOrder }>;

/** `Date.toISOString()`'s form, years 0001-9999: every such timestamp is one PostgreSQL takes. */
const ISO_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The key value a cursor holds for a column of `type`, or undefined when it is not one. */
function parseKey(type: KeyType, value: unknown): KeyValues[KeyType] | undefined {
  switch (type) {
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value)) return undefined;
      const date = new Date(value);
      // Round-trips exactly: rejects impossible dates such as 2026-02-30 that Date would roll over.
      return !Number.isNaN(date.getTime()) && date.toISOString() === value ? date : undefined;
    }
    case 'string':
      return typeof value === 'string' && !UNSTORABLE_TEXT.test(value) ? value : undefined;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value : undefined;
    case 'integer':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? (value as number)
        : undefined;
  }
}

/** The JSON form of a key value in a cursor. */
function serialiseKey(value: KeyValues[KeyType]): string | number {
  return value instanceof Date ? value.toISOString() : value;
}

function invalidCursor(): ValidationFailedError {
  return new ValidationFailedError([{ field: 'cursor', message: INVALID_CURSOR_MESSAGE }]);
}

/**
 * Keyset (seek) pagination over one order of rows: the one place that writes cursors, reads them
 * back, checks them and turns them into a where clause. A cursor is the base64url of a JSON
 * object holding the last row's key columns (`{"createdAt":"2026-...Z","id":"0193..."}`); every
 * key is checked against its column's type before any query sees it, so a crafted cursor is a 400
 * `VALIDATION_FAILED` on `cursor`, never a database error. Knows nothing of Prisma: it builds
 * plain objects in the shape Prisma's where and orderBy inputs take.
 *
 * Key columns must be non-null, and the last one unique.
 */
export class Keyset<C extends KeyColumns> {
  private readonly names: readonly string[];

  constructor(readonly columns: C) {
    this.names = Object.keys(columns);
    if (this.names.length === 0) throw new Error('A keyset needs at least one column.');
  }

  /** The cursor of `row`'s position. */
  encode(row: KeysetPosition<C>): string {
    const values = row as Record<string, KeyValues[KeyType]>;
    const keys = Object.fromEntries(this.names.map((name) => [name, serialiseKey(values[name])]));
    return Buffer.from(JSON.stringify(keys), 'utf8').toString('base64url');
  }

  /** The position a cursor holds, or undefined when it is not a cursor of this keyset. */
  parse(cursor: unknown): KeysetPosition<C> | undefined {
    if (typeof cursor !== 'string' || cursor.length > CURSOR_MAX_LENGTH || !CURSOR_PATTERN.test(cursor)) {
      return undefined;
    }
    const bytes = Buffer.from(cursor, 'base64url');
    // Buffer skips what is not base64url and ignores stray trailing bits: only its canonical form is ours.
    if (bytes.toString('base64url') !== cursor) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8.decode(bytes));
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const record = parsed as Record<string, unknown>;
    if (Object.keys(record).length !== this.names.length) return undefined;
    const position: Partial<Record<string, KeyValues[KeyType]>> = {};
    for (const name of this.names) {
      const type = this.columns[name];
      const value = Object.hasOwn(record, name) ? parseKey(type, record[name]) : undefined;
      if (value === undefined) return undefined;
      position[name] = value;
    }
    return position as KeysetPosition<C>;
  }

  /** The position a cursor holds; anything else is the client's fault: VALIDATION_FAILED on `cursor`. */
  decode(cursor: string): KeysetPosition<C> {
    const position = this.parse(cursor);
    if (!position) throw invalidCursor();
    return position;
  }

  /** Rows strictly after `position` in `order`; no condition at all without one. */
  where(position: KeysetPosition<C> | undefined, order: SortOrder): KeysetWhere<C> {
    if (!position) return {};
    const op = order === 'asc' ? 'gt' : 'lt';
    const values = position as Record<string, KeyValues[KeyType]>;
    return {
      OR: this.names.map((name, index) => ({
        ...Object.fromEntries(this.names.slice(0, index).map((equal) => [equal, values[equal]])),
        [name]: { [op]: values[name] },
      })) as NonNullable<KeysetWhere<C>['OR']>,
    };
  }

  /** {@link where} for the position a cursor holds (decoded and checked; none for no cursor). */
  after(cursor: string | undefined, order: SortOrder): KeysetWhere<C> {
    return this.where(cursor === undefined ? undefined : this.decode(cursor), order);
  }

  orderBy(order: SortOrder): KeysetOrderBy<C> {
    return this.names.map((name) => ({ [name]: order })) as KeysetOrderBy<C>;
  }
}

/**
 * A page from rows fetched with `take: limit + 1`: the extra row only tells whether a next page
 * exists, and the cursor (of `keyset`) points at the last row actually returned.
 */
export function toPage<K extends Keyset<KeyColumns>, T extends PositionOf<K>>(
  rows: T[],
  limit: number,
  keyset: K,
): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, nextCursor: hasMore && last !== undefined ? keyset.encode(last) : null };
}

/** Newest first, or oldest first: by creation time, ties broken by the id. What most lists page by. */
export const BY_CREATION = new Keyset({ createdAt: 'date', id: 'uuid' });
