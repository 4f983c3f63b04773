import { describe, expect, it } from 'vitest';
import { TIMESTAMP_MAX_LENGTH, TIMESTAMP_PATTERN, parseTimestamp } from './timestamp.js';

describe(parseTimestamp.name, () => {
  it.each([
    ['UTC', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['with milliseconds', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z'],
    ['with a tenth of a second', '2026-01-02T03:04:05.6Z', '2026-01-02T03:04:05.600Z'],
    ['with a positive offset', '2026-01-02T04:04:05+01:00', '2026-01-02T03:04:05.000Z'],
    ['with a negative offset across midnight', '2026-01-01T23:30:00-03:30', '2026-01-02T03:00:00.000Z'],
    ['on a leap day', '2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['in the first year PostgreSQL takes', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['in year 50, not 1950', '0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
    ['at the last millisecond of year 9999', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['the longest form', '2026-01-02T04:04:05.678+01:00', '2026-01-02T03:04:05.678Z'],
  ])('reads an instant %s', (_label, value, instant) => {
    expect(value).toMatch(TIMESTAMP_PATTERN);
    expect(value.length).toBeLessThanOrEqual(TIMESTAMP_MAX_LENGTH);
    expect(parseTimestamp(value)?.toISOString()).toBe(instant);
  });

  it.each([
    ['a date only', '2026-01-02'],
    ['no offset', '2026-01-02T03:04:05'],
    ['a space for the T', '2026-01-02 03:04:05Z'],
    ['microseconds', '2026-01-02T03:04:05.678901Z'],
    ['a lower-case z', '2026-01-02T03:04:05z'],
    ['an offset without a colon', '2026-01-02T03:04:05+0100'],
    ['February 30th', '2026-02-30T00:00:00Z'],
    ['February 29th of a common year', '2026-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['day 0', '2026-01-00T00:00:00Z'],
    ['24:00', '2026-01-02T24:00:00Z'],
    ['minute 60', '2026-01-02T03:60:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset of 24 hours', '2026-01-02T03:04:05+24:00'],
    ['year 0, which PostgreSQL does not have', '0000-06-01T00:00:00Z'],
    ['year 1 shifted into year 0 by its offset', '0001-01-01T00:30:00+01:00'],
    ['year 9999 shifted past it by its offset', '9999-12-31T23:30:00-01:00'],
    ['a six-digit year', '+010000-01-01T00:00:00Z'],
    ['text', 'yesterday'],
    ['empty', ''],
  ])('refuses %s', (_label, value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 1_767_323_045_678, new Date(), ['2026-01-02T03:04:05Z']]) {
      expect(parseTimestamp(value)).toBeUndefined();
    }
  });
});
