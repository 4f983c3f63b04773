import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { IdempotencyRepository } from '../apps/api/src/core/idempotency/idempotency.repository.js';
import { requestFingerprint } from '../apps/api/src/core/idempotency/request-fingerprint.js';
import { registerAndLogin } from './utils/auth.js';
import { IdempotencyTestApp } from './utils/idempotency-app.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('billing Idempotency-Key: POST /v1/billing/checkout (e2e)', () => {
  const h = new IdempotencyTestApp();
  const { post, checkout, checkoutSessions, records, seal, opened, reused, expectRefused, inProgress } = h;

  beforeAll(() => h.start());
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => h.close());

  describe('POST /v1/billing/checkout', () => {
    it('works as before without the header: every call is a new checkout, nothing is recorded', async () => {
      const me = await registerAndLogin(h.t.app);

      const first = await checkout(me);
      const second = await checkout(me);

      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      expect(first.json().url).not.toBe(second.json().url);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(await checkoutSessions(me)).toBe(2);
      expect(await records(me)).toEqual([]);
    });

    it('replays the first response to a retry, with Idempotent-Replayed, and creates nothing new', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();

      const first = await checkout(me, key);
      const retry = await checkout(me, key);

      expect(first.statusCode).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers['content-type']).toBe(first.headers['content-type']);
      expect(retry.json()).toEqual(first.json());
      expect(await checkoutSessions(me)).toBe(1);
      const [record, ...others] = await records(me);
      expect(others).toEqual([]);
      expect(record).toMatchObject({
        keyHash: seal().keyHash(me.id, key),
        method: 'POST',
        path: '/v1/billing/checkout',
        responseStatus: 200,
      });
      expect(opened(me, key, record?.responseBody)).toEqual(first.json());
      expect(record?.completedAt).toBeInstanceOf(Date);
      expect(record!.expiresAt.getTime() - record!.createdAt.getTime()).toBe(DAY_MS);
    });

    // The checkout link is a bearer credential: a copy of the table (a backup, a replica, a dump)
    // must not hand it out, nor the key that would replay it.
    it('stores neither the key nor the checkout link readable: a database reader can neither see nor replay them', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = 'order-7';

      const first = await checkout(me, key);
      const url = first.json().url as string;
      const token = new URL(url).pathname.split('/').pop() ?? '';
      const rows = await h.prisma.$queryRaw<Array<{ row: string }>>`
        SELECT row_to_json(r)::text AS row FROM idempotency_records r WHERE "userId" = ${me.id}::uuid`;

      expect(rows).toHaveLength(1);
      const [row] = rows.map((r) => r.row);
      expect({ key: row?.includes(key), url: row?.includes(url), token: row?.includes(token) }).toEqual({
        key: false,
        url: false,
        token: false,
      });
      // The sealed body opens with the client's key only.
      const [record] = await records(me);
      expect(seal().open(me.id, 'order-8', record!.responseBody!)).toBeUndefined();
      expect(seal().open(me.id, key, record!.responseBody!)).toBe(JSON.stringify(first.json()));
    });

    it("takes the draft's quoted form of a key as the same key", async () => {
      const me = await registerAndLogin(h.t.app);

      const first = await checkout(me, 'order-42');
      const retry = await checkout(me, '"order-42"');

      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
    });

    it('refuses the same key with another body or on another route (422) and runs nothing', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();
      await checkout(me, key, 'pro');

      const otherBody = await checkout(me, key, 'business');
      const otherRoute = await post('/v1/billing/portal', me, { key });

      expect(otherBody.statusCode).toBe(422);
      expect(otherBody.json()).toEqual(reused(otherBody));
      expect(otherRoute.statusCode).toBe(422);
      expect(otherRoute.json()).toEqual(reused(otherRoute, '/v1/billing/portal'));
      expect(await checkoutSessions(me)).toBe(1);
    });

    it('lets one of two concurrent requests with one key through', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();

      const responses = await Promise.all([checkout(me, key), checkout(me, key)]);

      const statuses = responses.map((res) => res.statusCode).sort();
      expect(statuses[0]).toBe(200);
      const second = responses.find((res) => res.statusCode !== 200 || res.headers['idempotent-replayed'] === 'true');
      if (statuses[1] === 409) {
        expect(second?.json()).toEqual(inProgress(second!));
        expect(second?.headers['retry-after']).toBe('1');
      } else {
        expect(statuses[1]).toBe(200);
        expect(second?.headers['idempotent-replayed']).toBe('true');
      }
      expect(await checkoutSessions(me)).toBe(1);
    });

    it('answers 409 with Retry-After while the first request is in progress, until it counts as abandoned', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();
      const now = Date.now();
      const { id } = await h.prisma.idempotencyRecord.create({
        data: {
          userId: me.id,
          keyHash: seal().keyHash(me.id, key),
          method: 'POST',
          path: '/v1/billing/checkout',
          requestHash: requestFingerprint('POST', '/v1/billing/checkout', { planCode: 'pro' }),
          createdAt: new Date(now),
          expiresAt: new Date(now + DAY_MS),
        },
      });

      const busy = await checkout(me, key);

      expect(busy.statusCode).toBe(409);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.json()).toEqual(inProgress(busy));
      expect(await checkoutSessions(me)).toBe(0);

      // A request that died without storing or releasing its record blocks its key for 5 minutes only.
      await h.prisma.idempotencyRecord.update({ where: { id }, data: { createdAt: new Date(now - 6 * 60_000) } });
      const later = await checkout(me, key);

      expect(later.statusCode).toBe(200);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
      expect(await checkoutSessions(me)).toBe(1);
    });

    it('scopes keys per user: another user with the same key is independent', async () => {
      const alice = await registerAndLogin(h.t.app);
      const bob = await registerAndLogin(h.t.app);
      const key = randomUUID();

      const forAlice = await checkout(alice, key, 'pro');
      const forBob = await checkout(bob, key, 'business');

      expect(forBob.statusCode).toBe(200);
      expect(forBob.headers['idempotent-replayed']).toBeUndefined();
      expect(forBob.json().url).not.toBe(forAlice.json().url);
      expect([await checkoutSessions(alice), await checkoutSessions(bob)]).toEqual([1, 1]);
      expect((await checkout(alice, key, 'pro')).headers['idempotent-replayed']).toBe('true');
    });

    it('treats an expired record as absent: the request is processed anew and replaces it', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();
      const first = await checkout(me, key, 'pro');
      await h.prisma.idempotencyRecord.updateMany({
        where: { userId: me.id, keyHash: seal().keyHash(me.id, key) },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });

      const again = await checkout(me, key, 'business');

      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.json().url).not.toBe(first.json().url);
      expect(await checkoutSessions(me)).toBe(2);
      const [record, ...others] = await records(me);
      expect(others).toEqual([]);
      expect(record?.expiresAt.getTime()).toBeGreaterThan(Date.now());
      expect(opened(me, key, record?.responseBody)).toEqual(again.json());
    });

    it('deletes expired records of anyone when a new key is recorded', async () => {
      const old = await registerAndLogin(h.t.app);
      await checkout(old, randomUUID());
      await h.prisma.idempotencyRecord.updateMany({
        where: { userId: old.id },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const me = await registerAndLogin(h.t.app);

      await checkout(me, randomUUID());

      expect(await records(old)).toEqual([]);
    });

    it.each([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
      ['not ASCII', 'clé-1'],
      ['a malformed quoted string', '"a"b"'],
    ])('refuses a key that is %s with a 400 and runs nothing', async (_label, key) => {
      const me = await registerAndLogin(h.t.app);

      const res = await checkout(me, key);

      await expectRefused(res, me, {
        field: 'Idempotency-Key',
        message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      });
    });

    it('refuses a key sent in two headers with a 400 and runs nothing', async () => {
      const me = await registerAndLogin(h.t.app);

      const res = await h.t.app.inject({
        method: 'POST',
        url: '/v1/billing/checkout',
        headers: { ...me.auth, 'idempotency-key': ['first', 'second'] },
        payload: { planCode: 'pro' },
      });

      await expectRefused(res, me, { field: 'Idempotency-Key', message: 'Idempotency-Key must be sent once' });
    });

    it('refuses a body nested too deep with a 400, with or without a key, and records nothing', async () => {
      const me = await registerAndLogin(h.t.app);
      const payload = `{"planCode":"pro","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;

      for (const key of [undefined, randomUUID()]) {
        const res = await h.t.app.inject({
          method: 'POST',
          url: '/v1/billing/checkout',
          headers: { ...me.auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          payload,
        });

        await expectRefused(res, me, { field: '', message: 'nested more than 32 levels deep' });
      }
    });

    it('stores a client error and replays it as it was', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();

      const first = await checkout(me, key, 'free');
      const retry = await checkout(me, key, 'free');

      expect(first.statusCode).toBe(422);
      expect(first.json()).toMatchObject({ code: 'PLAN_NOT_PURCHASABLE', requestId: first.headers['x-request-id'] });
      expect(retry.statusCode).toBe(422);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers['content-type']).toBe(first.headers['content-type']);
      // The stored body, the first request's id included.
      expect(retry.json()).toEqual(first.json());
    });

    it('releases the key after an unexpected error, so the client can retry with it', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();
      vi.spyOn(h.provider, 'startCheckout').mockRejectedValueOnce(new Error('provider unreachable'));

      const failed = await checkout(me, key);

      expect(failed.statusCode).toBe(500);
      expect(await records(me)).toEqual([]);

      const retry = await checkout(me, key);

      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await checkoutSessions(me)).toBe(1);
    });

    it('still answers, and keeps the key usable, when the cleanup of expired records fails', async () => {
      const me = await registerAndLogin(h.t.app);
      const key = randomUUID();
      vi.spyOn(h.t.app.get(IdempotencyRepository), 'deleteExpired').mockRejectedValueOnce(new Error('connection lost'));

      const first = await checkout(me, key);
      const retry = await checkout(me, key);

      expect(first.statusCode).toBe(200);
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await checkoutSessions(me)).toBe(1);
    });

    it('hands the provider a key scoped by user and operation, and a fresh one per call without the header', async () => {
      const me = await registerAndLogin(h.t.app);
      const startCheckout = vi.spyOn(h.provider, 'startCheckout');

      await checkout(me, 'retry-me');
      await checkout(me);

      expect(startCheckout.mock.calls.map(([input]) => input.idempotencyKey)).toEqual([
        `${me.id}:checkout:retry-me`,
        expect.stringMatching(UUID),
      ]);
    });
  });
});
