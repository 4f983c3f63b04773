import { describe, expect, it } from '@jest/globals';
import { ValidationFailedError } from '../errors/domain-error.js';
import { decodeCursor, encodeCursor, toPage } from './cursor.js';

const makeRow = (n: number) => ({ id: `id-${n}`, createdAt: new Date(Date.UTC(2026, 0, n)) });

describe(toPage.name, () => {
  const positionOf = (row: ReturnType<typeof makeRow>) => ({ key: row.createdAt.toISOString(), id: row.id });

  it('returns a next cursor pointing at the last returned row when one more row exists', () => {
    const rows = [1, 2, 3].map(makeRow);

    const sut = toPage(rows, 2, positionOf);

    expect(sut.items.map((row) => row.id)).toEqual(['id-1', 'id-2']);
    expect(sut.nextCursor).not.toBeNull();
    expect(decodeCursor(sut.nextCursor ?? '')).toEqual({ key: '2026-01-02T00:00:00.000Z', id: 'id-2' });
  });

  it('has no next cursor on the last page', () => {
    expect(toPage([1, 2].map(makeRow), 2, positionOf).nextCursor).toBeNull();
    expect(toPage([], 2, positionOf)).toEqual({ items: [], nextCursor: null });
  });
});

describe(decodeCursor.name, () => {
  it('round-trips what encodeCursor produced', () => {
    expect(decodeCursor(encodeCursor({ key: 42, id: 'abc' }))).toEqual({ key: 42, id: 'abc' });
  });

  it.each([
    ['garbage', '!!!'],
    ['valid base64 but not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a tuple with a non-string id', Buffer.from('["k",1]').toString('base64url')],
  ])('rejects %s as a validation error on the cursor field', (_label, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationFailedError);
    try {
      decodeCursor(cursor);
    } catch (error) {
      expect((error as ValidationFailedError).extensions.errors).toEqual([
        { field: 'cursor', message: 'cursor is not a valid page cursor' },
      ]);
    }
  });
});
