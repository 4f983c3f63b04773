import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_TIER_LEASE_MS, LeasedClientSideCache } from './local-tier.js';

const NOW = new Date('2026-03-11T12:00:00.000Z').getTime();

/** An entry as node-redis stores one: `set` with the Redis keys the reply depends on. */
function cacheWithEntry(): LeasedClientSideCache {
  const cache = new LeasedClientSideCache({ maxEntries: 10, ttl: 60_000 });
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

describe('LeasedClientSideCache, parsed values', () => {
  let sut: LeasedClientSideCache;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    sut = new LeasedClientSideCache({ maxEntries: 2, ttl: 60_000 });
    sut.renew(NOW);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a remembered value, frozen, per part of a key', () => {
    sut.remember('users:1', sut.beginLoad('users:1'), { name: 'Ada', roles: ['USER'] });
    sut.remember('revoked', sut.beginLoad('revoked', 's1'), { marked: true }, 's1');

    const user = sut.peek<{ name: string; roles: string[] }>('users:1');
    expect(user).toEqual({ name: 'Ada', roles: ['USER'] });
    expect(Object.isFrozen(user) && Object.isFrozen(user?.roles)).toBe(true);
    expect(sut.peek('revoked', 's1')).toEqual({ marked: true });
    expect(sut.peek('revoked', 's2')).toBeUndefined();
  });

  it('does not keep a value whose key Redis invalidated while it was being read', () => {
    const token = sut.beginLoad('users:1');

    sut.invalidate('users:1');
    sut.remember('users:1', token, { name: 'stale' });

    expect(sut.peek('users:1')).toBeUndefined();
  });

  it('drops every part of a key Redis invalidates, and everything on a flush', () => {
    sut.remember('revoked', sut.beginLoad('revoked', 's1'), { marked: false }, 's1');
    sut.remember('users:1', sut.beginLoad('users:1'), { name: 'Ada' });

    sut.invalidate('revoked');
    expect(sut.peek('revoked', 's1')).toBeUndefined();
    expect(sut.peek('users:1')).toEqual({ name: 'Ada' });

    sut.invalidate(null);
    expect(sut.peek('users:1')).toBeUndefined();
  });

  it('keeps nothing past the lease, nor past the time to live', () => {
    sut.remember('users:1', sut.beginLoad('users:1'), { name: 'Ada' });
    vi.setSystemTime(NOW + LOCAL_TIER_LEASE_MS);
    expect(sut.peek('users:1')).toBeUndefined();

    sut.renew(NOW + 60_000);
    vi.setSystemTime(NOW + 60_000);
    sut.remember('users:2', sut.beginLoad('users:2'), { name: 'Bob' });
    vi.setSystemTime(NOW + 120_000);
    sut.renew(NOW + 120_000);
    expect(sut.peek('users:2')).toBeUndefined();
  });

  it('keeps a value no longer than the expiry of the entry it came from', () => {
    sut.remember('entitlements:1', sut.beginLoad('entitlements:1'), { planCode: 'pro' }, '', NOW + 1_000);

    expect(sut.peek('entitlements:1')).toEqual({ planCode: 'pro' });
    vi.setSystemTime(NOW + 1_000);
    sut.renew(NOW + 1_000);
    expect(sut.peek('entitlements:1')).toBeUndefined();
  });

  it('load() keeps what its fetch says to keep, unless the key was invalidated meanwhile', async () => {
    await expect(
      sut.load('users:1', '', () => Promise.resolve({ result: 'hit', keep: { name: 'Ada' } })),
    ).resolves.toBe('hit');
    await sut.load('users:2', '', () => {
      sut.invalidate('users:2');
      return Promise.resolve({ result: 'hit', keep: { name: 'stale' } });
    });

    expect(sut.peek('users:1')).toEqual({ name: 'Ada' });
    expect(sut.peek('users:2')).toBeUndefined();
  });

  it('load() ends its load when the fetch fails', async () => {
    await expect(sut.load('users:1', '', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const token = sut.beginLoad('users:1');

    sut.remember('users:1', token, { name: 'Ada' });

    expect(sut.peek('users:1')).toEqual({ name: 'Ada' });
  });

  it('keeps nothing from a load that was abandoned (a miss, a failure)', () => {
    const token = sut.beginLoad('users:1');

    expect(sut.abandon('users:1', token)).toBe(true);
    sut.remember('users:1', token, { name: 'Ada' });

    expect(sut.peek('users:1')).toBeUndefined();
  });

  it('counts parts against maxEntries: one key with many parts cannot grow past it', () => {
    for (const id of ['s1', 's2', 's3']) sut.remember('revoked', sut.beginLoad('revoked', id), { id }, id);

    expect(['s1', 's2', 's3'].filter((id) => sut.peek('revoked', id) !== undefined).length).toBeLessThanOrEqual(2);
    expect(sut.peek('revoked', 's3')).toEqual({ id: 's3' });
  });

  it('holds at most maxEntries keys, dropping the oldest', () => {
    for (const id of ['1', '2', '3']) sut.remember(`users:${id}`, sut.beginLoad(`users:${id}`), { id });

    expect(sut.peek('users:1')).toBeUndefined();
    expect(sut.peek('users:3')).toEqual({ id: '3' });
  });
});
