import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { LocalFirstThrottlerStorage } from './local-first-throttler.storage.js';
import type { RedisThrottlerStorage, ThrottlerStorageRecord } from './redis-throttler.storage.js';

const NOW = new Date('2026-03-11T12:00:00.000Z').getTime();
const SYNC_MS = 500;
const TTL_MS = 60_000;
const LIMIT = 5;

/** What Redis answers: `totalHits` shared hits, not blocked, a fresh window. */
function shared(totalHits: number, overrides: Partial<ThrottlerStorageRecord> = {}): ThrottlerStorageRecord {
  return { totalHits, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0, ...overrides };
}

describe(LocalFirstThrottlerStorage.name, () => {
  let exact: {
    increment: Mock<RedisThrottlerStorage['increment']>;
    onApplicationShutdown: Mock<RedisThrottlerStorage['onApplicationShutdown']>;
  };
  let sut: LocalFirstThrottlerStorage;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date', 'setInterval', 'clearInterval'] });
    exact = {
      increment: vi.fn<RedisThrottlerStorage['increment']>(),
      onApplicationShutdown: vi.fn<RedisThrottlerStorage['onApplicationShutdown']>(),
    };
    sut = new LocalFirstThrottlerStorage(exact as unknown as RedisThrottlerStorage, new Set(['default']), SYNC_MS);
  });

  afterEach(async () => {
    exact.increment.mockResolvedValue(shared(0));
    await sut.beforeApplicationShutdown();
    vi.useRealTimers();
  });

  const hit = (key = 'client', name = 'default') => sut.increment(key, TTL_MS, LIMIT, TTL_MS, name);
  /** One sync interval passes and its additions settle. */
  const nextSync = async () => {
    await vi.advanceTimersByTimeAsync(SYNC_MS);
  };

  it('counts the other throttlers (the strict limits) in Redis, call by call', async () => {
    exact.increment.mockResolvedValue(shared(1));

    await hit('client', 'strict-ip');
    await hit('client', 'strict-ip');

    expect(exact.increment).toHaveBeenCalledTimes(2);
    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'strict-ip');
  });

  it("counts a client's first call in Redis, then the next ones here, with no round trip", async () => {
    exact.increment.mockResolvedValueOnce(shared(1));

    const first = await hit();
    const second = await hit();
    const third = await hit();

    expect(exact.increment).toHaveBeenCalledTimes(1);
    expect(first).toEqual(shared(1));
    expect(second).toEqual(shared(2));
    expect(third).toEqual(shared(3));
  });

  it('refuses here the first call over the limit, and every call until the block ends', async () => {
    exact.increment.mockResolvedValueOnce(shared(LIMIT - 1));
    await hit();

    const last = await hit();
    const over = await hit();
    const again = await hit();

    expect(last).toMatchObject({ totalHits: LIMIT, isBlocked: false });
    expect(over).toMatchObject({ totalHits: LIMIT + 1, isBlocked: true, timeToBlockExpire: TTL_MS / 1000 });
    expect(again).toMatchObject({ isBlocked: true });
    expect(exact.increment).toHaveBeenCalledTimes(1);
  });

  it('adds what it counted to Redis once per interval, in one call, and learns the shared count', async () => {
    exact.increment.mockResolvedValueOnce(shared(1));
    await hit();
    await hit();
    await hit();
    // Meanwhile other instances counted 1 of this client's calls too.
    exact.increment.mockResolvedValueOnce(shared(4));

    await nextSync();
    const next = await hit();

    expect(exact.increment).toHaveBeenCalledTimes(2);
    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'default', 2);
    expect(next).toEqual(shared(5));
  });

  it('follows a block that Redis reports (another instance went over the limit)', async () => {
    exact.increment.mockResolvedValueOnce(shared(1));
    await hit();
    await hit();
    exact.increment.mockResolvedValueOnce(shared(LIMIT + 1, { isBlocked: true, timeToBlockExpire: 30 }));

    await nextSync();
    const refused = await hit();

    expect(refused).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
  });

  it('keeps counting the calls that arrive while an addition is under way', async () => {
    exact.increment.mockResolvedValueOnce(shared(1));
    await hit();
    await hit();
    let answer!: (record: ThrottlerStorageRecord) => void;
    exact.increment.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    await vi.advanceTimersByTimeAsync(SYNC_MS);

    await hit(); // counted here while Redis has not answered
    answer(shared(2));
    await vi.advanceTimersByTimeAsync(0);
    exact.increment.mockResolvedValueOnce(shared(3));
    await nextSync();

    expect(exact.increment).toHaveBeenNthCalledWith(2, 'client', TTL_MS, LIMIT, TTL_MS, 'default', 1);
    expect(exact.increment).toHaveBeenNthCalledWith(3, 'client', TTL_MS, LIMIT, TTL_MS, 'default', 1);
  });

  it('counts a client in Redis again when it has not heard of it for an interval', async () => {
    exact.increment.mockResolvedValue(shared(1));
    await hit();

    await nextSync(); // nothing to add
    vi.setSystemTime(NOW + 2 * SYNC_MS);
    await hit();

    expect(exact.increment).toHaveBeenCalledTimes(2);
    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'default');
  });

  it('keeps the hits counted here when a slower first answer of Redis arrives', async () => {
    let slow!: (record: ThrottlerStorageRecord) => void;
    exact.increment.mockReturnValueOnce(new Promise((resolve) => (slow = resolve)));
    exact.increment.mockResolvedValueOnce(shared(1));
    const first = hit(); // its answer comes last
    await hit(); // answered first: installs the count
    await hit();
    await hit(); // two counted here

    slow(shared(2));
    await first;
    exact.increment.mockResolvedValueOnce(shared(4));
    await nextSync();

    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'default', 2);
  });

  it('waits for an addition under way at shutdown, adds what came since, and shuts the exact storage down', async () => {
    exact.increment.mockResolvedValueOnce(shared(1));
    await hit();
    await hit();
    let answer!: (record: ThrottlerStorageRecord) => void;
    exact.increment.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    await vi.advanceTimersByTimeAsync(SYNC_MS);
    await hit(); // counted while the addition is under way
    exact.increment.mockResolvedValueOnce(shared(3));

    const shutdown = sut.beforeApplicationShutdown();
    answer(shared(2));
    await shutdown;

    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'default', 1);
    expect(exact.onApplicationShutdown).toHaveBeenCalled();
  });

  it('adds what is left before shutdown', async () => {
    exact.increment.mockResolvedValueOnce(shared(1));
    await hit();
    await hit();
    exact.increment.mockResolvedValueOnce(shared(2));

    await sut.beforeApplicationShutdown();

    expect(exact.increment).toHaveBeenLastCalledWith('client', TTL_MS, LIMIT, TTL_MS, 'default', 1);
  });
});
