import { describe, expect, it } from 'vitest';
import { ValidationFailedError } from '../errors/domain-error.js';
import { CURSOR_MAX_LENGTH } from './cursor.js';
import { BY_CREATION, Keyset, toPage, type KeyColumns } from './keyset.js';

const ID = '01937a5e-8b1c-7d2e-9f30-4a5b6c7d8e9f';
const AT = '2026-01-02T03:04:05.678Z';
/** A cursor with exactly this JSON text inside. */
const raw = (json: string) => Buffer.from(json, 'utf8').toString('base64url');
const cursorOf = (value: unknown) => raw(JSON.stringify(value));

const BY_RANK = new Keyset({ rank: 'integer', name: 'string', id: 'uuid' });
const makeRow = (n: number) => ({
  id: `0193${n}a5e-8b1c-7d2e-9f30-4a5b6c7d8e9f`,
  createdAt: new Date(Date.UTC(2026, 0, n)),
});

/** The refusal every bad cursor gets: VALIDATION_FAILED on `cursor`, one message whatever is wrong. */
function expectRefused(keyset: Pick<Keyset<KeyColumns>, 'parse' | 'decode'>, cursor: string) {
  expect(keyset.parse(cursor)).toBeUndefined();
  let thrown: unknown;
  try {
    keyset.decode(cursor);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationFailedError);
  expect((thrown as ValidationFailedError).extensions.errors).toEqual([
    { field: 'cursor', message: 'cursor is not a valid page cursor' },
  ]);
}

describe(Keyset.name, () => {
  describe('encode and decode', () => {
    it('round-trips a position of every key type, dates as Date', () => {
      const sut = new Keyset({ at: 'date', label: 'string', rank: 'integer', id: 'uuid' });
      const position = { at: new Date(AT), label: 'zoë ✓ 🚀 "quoted" \\', rank: -2_147_483_648, id: ID };

      const cursor = sut.encode(position);

      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(sut.decode(cursor)).toEqual(position);
      expect(sut.decode(cursor).at).toBeInstanceOf(Date);
    });

    it('writes only the key columns of a row, as a JSON object named by column', () => {
      const cursor = BY_CREATION.encode({ ...{ createdAt: new Date(AT), id: ID }, ...{ secret: 'x' } } as never);

      expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({ createdAt: AT, id: ID });
    });

    it.each(['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])(
      'accepts a date key at the bounds PostgreSQL timestamps take: %s',
      (at) => {
        expect(BY_CREATION.decode(cursorOf({ createdAt: at, id: ID }))).toEqual({ createdAt: new Date(at), id: ID });
      },
    );

    it('accepts upper-case UUIDs and the integer bounds of PostgreSQL', () => {
      const sut = new Keyset({ rank: 'integer', id: 'uuid' });

      expect(sut.decode(cursorOf({ rank: 2_147_483_647, id: ID.toUpperCase() }))).toEqual({
        rank: 2_147_483_647,
        id: ID.toUpperCase(),
      });
    });
  });

  describe('refuses, as VALIDATION_FAILED on cursor', () => {
    it.each([
      ['a number', 1_700_000_000_000],
      ['a date without milliseconds', '2026-01-02T03:04:05Z'],
      ['a date with an offset', '2026-01-02T03:04:05.678+01:00'],
      ['a date only', '2026-01-02'],
      ['an impossible date', '2026-02-30T00:00:00.000Z'],
      ['an impossible time', '2026-01-02T24:61:00.000Z'],
      ['in year 0, which PostgreSQL does not have', '0000-01-01T00:00:00.000Z'],
      ['at the end of year 0', '0000-12-31T23:59:59.999Z'],
      ['past year 9999, as toISOString writes it', '+010000-01-01T00:00:00.000Z'],
      ['before year 0, as toISOString writes it', '-000001-01-01T00:00:00.000Z'],
      ['text', 'yesterday'],
      ['null', null],
      ['an object', { $date: AT }],
      ['an array', [AT]],
      ['a boolean', true],
    ])('a date key that is %s', (_label, value) => {
      expectRefused(BY_CREATION, cursorOf({ createdAt: value, id: ID }));
    });

    it.each([
      ['not a UUID', 'not-a-uuid'],
      ['a UUID without dashes', ID.replaceAll('-', '')],
      ['a UUID in braces', `{${ID}}`],
      ['a UUID with a non-hex digit', ID.replace(/^0/, 'g')],
      ['a number', 42],
      ['null', null],
      ['an object', { id: ID }],
      ['empty', ''],
    ])('an id that is %s', (_label, value) => {
      expectRefused(BY_CREATION, cursorOf({ createdAt: AT, id: value }));
    });

    it.each([
      ['a number', 7],
      ['null', null],
      ['an array', ['a']],
      ['an object', { gt: 'a' }],
      ['text with a NUL character', 'a\u0000b'],
      ['text with a lone high surrogate', 'a\ud800'],
      ['text with a lone low surrogate', '\udc00b'],
    ])('a string key that is %s', (_label, value) => {
      expectRefused(BY_RANK, cursorOf({ rank: 1, name: value, id: ID }));
    });

    it.each([
      ['a fraction', 1.5],
      ['above the integer range', 2_147_483_648],
      ['below the integer range', -2_147_483_649],
      ['a numeric string', '1'],
      ['null', null],
      ['infinite (as JSON writes it, null)', Infinity],
    ])('an integer key that is %s', (_label, value) => {
      expectRefused(BY_RANK, cursorOf({ rank: value, name: 'a', id: ID }));
    });

    it.each([
      ['a missing column', { createdAt: AT }],
      ['an extra column', { createdAt: AT, id: ID, role: 'ADMIN' }],
      ['a column of another keyset instead', { email: 'a@b.c', id: ID }],
      ['no column at all', {}],
    ])('%s', (_label, value) => {
      expectRefused(BY_CREATION, cursorOf(value));
    });

    it('the old tuple format and other JSON that is not an object', () => {
      for (const value of [[AT, ID], [AT], null, 'text', 42, true]) expectRefused(BY_CREATION, cursorOf(value));
    });

    it('a cursor of another order: a rank cursor in the creation order and back', () => {
      const rankCursor = BY_RANK.encode({ rank: 1, name: 'a', id: ID });

      expectRefused(BY_CREATION, rankCursor);
      expectRefused(BY_RANK, BY_CREATION.encode({ createdAt: new Date(AT), id: ID }));
    });

    it('a __proto__ key standing in for a column', () => {
      expectRefused(BY_CREATION, raw(`{"createdAt":"${AT}","__proto__":"${ID}"}`));
    });

    it('tampered bytes: flipped, truncated, extended or re-padded', () => {
      const cursor = BY_CREATION.encode({ createdAt: new Date(AT), id: ID });
      const flipped = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;

      for (const tampered of [flipped, cursor.slice(0, -3), `${cursor}A`, `${cursor}AAAA`, `${cursor}==`]) {
        expectRefused(BY_CREATION, tampered);
      }
    });

    it('a non-canonical encoding of a valid cursor (stray trailing bits)', () => {
      const cursor = raw('{"createdAt":"2026-01-02T03:04:05.678Z","id":"01937a5e-8b1c-7d2e-9f30-4a5b6c7d8e9f"}!');
      // The same bytes but the last character's unused low bits set: Buffer would read it alike.
      const canonical = cursor.slice(0, -1);
      const last = cursor.at(-1) ?? 'A';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = `${canonical}${alphabet[alphabet.indexOf(last) + 1]}`;

      expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(cursor, 'base64url'));
      expectRefused(BY_CREATION, sibling);
    });

    it.each([
      ['empty', ''],
      ['not base64url', '!!!'],
      ['standard base64', `${cursorOf({ createdAt: AT, id: ID }).slice(0, 20)}+/`],
      ['percent-encoded', '%7B%7D'],
      ['valid base64url but not JSON', raw('hello')],
      ['JSON cut short', raw(`{"createdAt":"${AT}"`)],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64url')],
      ['over the length limit', 'A'.repeat(CURSOR_MAX_LENGTH + 4)],
    ])('a cursor that is %s', (_label, cursor) => {
      expectRefused(BY_CREATION, cursor);
    });

    it('anything that is not a string', () => {
      for (const value of [undefined, null, 42, ['a'], { cursor: 'a' }])
        expect(BY_CREATION.parse(value)).toBeUndefined();
    });
  });

  describe('where', () => {
    it('is no condition without a position', () => {
      expect(BY_CREATION.where(undefined, 'desc')).toEqual({});
      expect(BY_CREATION.after(undefined, 'asc')).toEqual({});
    });

    it('selects rows strictly after the position, column by column, ties broken by the last', () => {
      const position = { rank: 3, name: 'b', id: ID };

      expect(BY_RANK.where(position, 'asc')).toEqual({
        OR: [{ rank: { gt: 3 } }, { rank: 3, name: { gt: 'b' } }, { rank: 3, name: 'b', id: { gt: ID } }],
      });
      expect(BY_RANK.where(position, 'desc')).toEqual({
        OR: [{ rank: { lt: 3 } }, { rank: 3, name: { lt: 'b' } }, { rank: 3, name: 'b', id: { lt: ID } }],
      });
    });

    it('decodes a cursor into Date keys for its where clause, and refuses a bad one', () => {
      const cursor = BY_CREATION.encode({ createdAt: new Date(AT), id: ID });

      expect(BY_CREATION.after(cursor, 'desc')).toEqual({
        OR: [{ createdAt: { lt: new Date(AT) } }, { createdAt: new Date(AT), id: { lt: ID } }],
      });
      expect(() => BY_CREATION.after(cursorOf({ createdAt: 'x', id: ID }), 'desc')).toThrow(ValidationFailedError);
    });

    it('orders by every key column in one direction', () => {
      expect(BY_RANK.orderBy('desc')).toEqual([{ rank: 'desc' }, { name: 'desc' }, { id: 'desc' }]);
    });
  });

  it('needs at least one column', () => {
    expect(() => new Keyset({})).toThrow('A keyset needs at least one column.');
  });
});

describe(toPage.name, () => {
  it('returns a next cursor pointing at the last returned row when one more row exists', () => {
    const rows = [1, 2, 3].map(makeRow);

    const sut = toPage(rows, 2, BY_CREATION);

    expect(sut.items).toEqual(rows.slice(0, 2));
    expect(BY_CREATION.decode(sut.nextCursor ?? '')).toEqual({ createdAt: rows[1]?.createdAt, id: rows[1]?.id });
  });

  it('has no next cursor on the last page', () => {
    expect(toPage([1, 2].map(makeRow), 2, BY_CREATION).nextCursor).toBeNull();
    expect(toPage([], 2, BY_CREATION)).toEqual({ items: [], nextCursor: null });
  });
});
