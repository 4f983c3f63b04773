import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_TIER_LEASE_MS, LeasedClientSideCache } from './local-tier.js';

const NOW = new Date('2026-03-11T12:00:00.000Z').getTime();

/** An entry as node-redis stores one: `set` with the Redis keys the reply depends on. */
function cacheWithEntry(): LeasedClientSideCache {
  const cache = new LeasedClientSideCache({ maxEntries: 10 });
  cache.set('GET_key', cache.createValueEntry({} as never, 'value'), ['key']);
  return cache;
}

describe('LeasedClientSideCache', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves nothing before a first PING has been answered', () => {
    const sut = cacheWithEntry();

    expect(sut.get('GET_key')).toBeUndefined();
    expect(sut.size()).toBe(0);
  });

  it('serves its entries for the lease after an answered PING', () => {
    const sut = cacheWithEntry();
    sut.renew(NOW);

    vi.setSystemTime(NOW + LOCAL_TIER_LEASE_MS - 1);

    expect(sut.get('GET_key')).toBeDefined();
  });

  it('empties itself once the lease has lapsed, counted from when the PING was sent', () => {
    const sut = cacheWithEntry();
    sut.renew(NOW - 30); // sent 30 ms ago, answered now

    vi.setSystemTime(NOW + LOCAL_TIER_LEASE_MS - 30);

    expect(sut.get('GET_key')).toBeUndefined();
    expect(sut.size()).toBe(0);
  });

  it('keeps the latest lease when answers arrive out of order', () => {
    const sut = cacheWithEntry();
    sut.renew(NOW);
    sut.renew(NOW - 50);

    vi.setSystemTime(NOW + LOCAL_TIER_LEASE_MS - 1);

    expect(sut.get('GET_key')).toBeDefined();
  });

  it('still drops what Redis invalidates while the lease holds', () => {
    const sut = cacheWithEntry();
    sut.renew(NOW);

    sut.invalidate('key');

    expect(sut.get('GET_key')).toBeUndefined();
  });
});
