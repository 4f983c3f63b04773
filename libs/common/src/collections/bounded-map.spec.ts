import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

describe(BoundedMap.name, () => {
  it('drops the oldest entry when a new key would go over the bound', () => {
    const sut = new BoundedMap<string, number>(2);
    sut.set('a', 1).set('b', 2).set('c', 3);

    expect([...sut.entries()]).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('updates a present key in place, dropping nothing', () => {
    const sut = new BoundedMap<string, number>(2);
    sut.set('a', 1).set('b', 2).set('a', 3);

    expect([...sut.entries()]).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});
