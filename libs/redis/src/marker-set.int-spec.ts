import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import { loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/setup/test-env.js';
import { MemoryMarkerSet, RedisMarkerSet, type MarkerSet } from './marker-set.js';
import { RedisConnection } from './redis-connection.js';

const redisAvailable = process.env.TEST_REDIS_MODE === 'redis';
const MINUTE = 60_000;

interface Store {
  sut: MarkerSet;
  /** What takes the set away: a flush, a restart or an eviction all remove its one key. */
  lose(): Promise<void>;
  close(): Promise<void>;
}

async function redisStore(): Promise<Store> {
  const key = `test:${randomBytes(4).toString('hex')}:markers`;
  const connection = new RedisConnection(loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL }));
  await connection.connect();
  const admin = createClient({ url: TEST_REDIS_URL });
  await admin.connect();
  return {
    sut: new RedisMarkerSet(connection, key, 1_000),
    lose: async () => void (await admin.del(key)),
    close: async () => {
      await admin.del([key, `${key}:rebuild-lock`]);
      await admin.close();
      await connection.onApplicationShutdown();
    },
  };
}

function memoryStore(): Promise<Store> {
  const sut = new MemoryMarkerSet(3);
  return Promise.resolve({
    sut,
    // The memory set loses marks only when it is full: fill it with live marks.
    lose: async () =>
      void (await sut.add(['x1', 'x2', 'x3', 'x4'].map((id) => ({ id, expiresAt: Date.now() + MINUTE })))),
    close: () => Promise.resolve(),
  });
}

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', memoryStore],
  ...(redisAvailable ? ([['redis', redisStore]] as Array<[string, () => Promise<Store>]>) : []),
];

describe.each(stores)('MarkerSet on the %s store', (_name, open) => {
  let store: Store;
  let sut: MarkerSet;

  beforeAll(async () => {
    store = await open();
    sut = store.sut;
  });

  afterAll(async () => {
    await store.close();
  });

  const completeUntil = async () => {
    const read = await sut.read('nobody');
    return read.status === 'read' ? read.completeUntil : 'unavailable';
  };
  const rebuild = async (token: string) => {
    expect(await sut.beginRebuild(token, MINUTE)).toBe(true);
    return sut.finishRebuild(token, Date.now() + MINUTE);
  };

  it('is not complete before a rebuild, and tells marked ids from others', async () => {
    await sut.add([{ id: 'a', expiresAt: Date.now() + MINUTE }]);

    await expect(sut.read('a')).resolves.toEqual({ status: 'read', marked: true, completeUntil: undefined });
    await expect(sut.read('b')).resolves.toEqual({ status: 'read', marked: false, completeUntil: undefined });
  });

  it('does not count an expired mark', async () => {
    await sut.add([{ id: 'old', expiresAt: Date.now() - 1 }]);

    await expect(sut.read('old')).resolves.toMatchObject({ marked: false });
  });

  it('is complete once a rebuild finishes, until the time it was given', async () => {
    const until = Date.now() + MINUTE;
    expect(await sut.beginRebuild('t1', MINUTE)).toBe(true);

    expect(await sut.finishRebuild('t1', until)).toBe(true);

    expect(await completeUntil()).toBe(until);
  });

  it('lets one rebuild at a time run', async () => {
    expect(await sut.beginRebuild('first', MINUTE)).toBe(true);
    expect(await sut.beginRebuild('second', MINUTE)).toBe(false);

    expect(await sut.finishRebuild('first', undefined)).toBe(false); // gave up: the lock is free again
    expect(await rebuild('third')).toBe(true);
  });

  it('voids a rebuild under way when told it is incomplete (that rebuild may have read too early)', async () => {
    expect(await sut.beginRebuild('early', MINUTE)).toBe(true);

    expect(await sut.markIncomplete()).toBe(true);

    expect(await completeUntil()).toBeUndefined();
    expect(await sut.finishRebuild('early', Date.now() + MINUTE)).toBe(false);
    expect(await completeUntil()).toBeUndefined();
    expect(await rebuild('later')).toBe(true);
  });

  it('voids a rebuild when the set was lost meanwhile, and is never complete after a loss', async () => {
    expect(await rebuild('before')).toBe(true);
    expect(await sut.beginRebuild('during', MINUTE)).toBe(true);

    await store.lose();

    expect(await completeUntil()).toBeUndefined();
    expect(await sut.finishRebuild('during', Date.now() + MINUTE)).toBe(false);
    expect(await completeUntil()).toBeUndefined();
  });
});

describe('MarkerSet on Redis, when Redis is not connected', () => {
  it('reads as unavailable and refuses writes and rebuilds, without trying', async () => {
    const connection = new RedisConnection(loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL }));
    const sut = new RedisMarkerSet(connection, `test:${randomBytes(4).toString('hex')}:markers`, 1_000);

    await expect(sut.read('a')).resolves.toEqual({ status: 'unavailable' });
    await expect(sut.add([{ id: 'a', expiresAt: Date.now() + MINUTE }])).resolves.toBe(false);
    await expect(sut.markIncomplete()).resolves.toBe(false);
    await expect(sut.beginRebuild('t', MINUTE)).resolves.toBe(false);
  });
});
