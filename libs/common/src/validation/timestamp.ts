import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * An instant as a request gives it: an RFC 3339 date-time with its offset (`Z` or `±hh:mm`), to
 * the millisecond at most (`2026-01-02T03:04:05Z`, `2026-01-02T04:04:05.678+01:00`). For `@Matches`
 * and `pattern` in OpenAPI; {@link parseTimestamp} checks the rest.
 */
export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
/** `2026-01-02T03:04:05.678+01:00`, the longest form {@link TIMESTAMP_PATTERN} takes. */
export const TIMESTAMP_MAX_LENGTH = 29;

const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
/** The instants PostgreSQL timestamps take that `Date.toISOString()` writes in four-digit years. */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The instant `value` names, or undefined when it is not a {@link TIMESTAMP_PATTERN} string of a
 * real date and time (no February 30th, no 24:00, no leap second, offsets within ±23:59) between
 * the years 0001 and 9999 in UTC: PostgreSQL has no year 0 and refuses such a query (22008) rather
 * than finding nothing.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = PARTS.exec(value);
  if (!parts) return undefined;
  const [year, month, day, hours, minutes, seconds] = parts.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((parts[7] ?? '').padEnd(3, '0'));
  const offsetHours = Number(parts[9] ?? 0);
  const offsetMinutes = Number(parts[10] ?? 0);
  if (hours > 23 || minutes > 59 || seconds > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  // setUTCFullYear, not Date.UTC, which reads the years 0-99 as 1900-1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) {
    return undefined;
  }
  local.setUTCHours(hours, minutes, seconds, millis);
  const sign = parts[8] === '-' ? -1 : 1;
  const instant = local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return instant >= EARLIEST && instant <= LATEST ? new Date(instant) : undefined;
}

/**
 * A request field holding an instant ({@link parseTimestamp}); one message whatever is wrong. Pair
 * it with `@ApiProperty({ format: 'date-time', pattern: TIMESTAMP_PATTERN.source, maxLength:
 * TIMESTAMP_MAX_LENGTH })`, which the plugin can't infer from constants.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) => parseTimestamp(value) !== undefined,
        defaultMessage: () =>
          '$property must be a date-time with a time zone (2026-01-02T03:04:05Z), in the years 0001 to 9999',
      },
    },
    options,
  );
}
