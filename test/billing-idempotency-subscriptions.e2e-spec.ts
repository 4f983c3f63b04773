import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerAndLogin } from './utils/auth.js';
import { IdempotencyTestApp } from './utils/idempotency-app.js';

describe('billing Idempotency-Key: subscription routes (e2e)', () => {
  const h = new IdempotencyTestApp();
  const { post, reused, subscribe } = h;

  beforeAll(() => h.start());
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => h.close());

  describe('subscription routes', () => {
    it('replays cancel without calling the provider again, even after a resume', async () => {
      const me = await registerAndLogin(h.t.app);
      await subscribe(me);
      const setCancel = vi.spyOn(h.provider, 'setCancelAtPeriodEnd');

      const cancel = await post('/v1/billing/subscription/cancel', me, { key: 'cancel-1' });
      const resume = await post('/v1/billing/subscription/resume', me, { key: 'resume-1' });
      const cancelRetry = await post('/v1/billing/subscription/cancel', me, { key: 'cancel-1' });
      const resumeWithCancelKey = await post('/v1/billing/subscription/resume', me, { key: 'cancel-1' });

      expect([cancel.statusCode, resume.statusCode, cancelRetry.statusCode]).toEqual([200, 200, 200]);
      expect(cancel.json().cancelAtPeriodEnd).toBe(true);
      // The stored answer, not a new cancellation: the subscription stays resumed.
      expect(cancelRetry.headers['idempotent-replayed']).toBe('true');
      expect(cancelRetry.json()).toEqual(cancel.json());
      expect((await h.prisma.subscription.findFirstOrThrow({ where: { userId: me.id } })).cancelAtPeriodEnd).toBe(
        false,
      );
      expect(resumeWithCancelKey.statusCode).toBe(422);
      expect(resumeWithCancelKey.json()).toEqual(reused(resumeWithCancelKey, '/v1/billing/subscription/resume'));
      expect(setCancel.mock.calls.map(([, cancelled, providerKey]) => [cancelled, providerKey])).toEqual([
        [true, `${me.id}:cancel:cancel-1`],
        [false, `${me.id}:resume:resume-1`],
      ]);
    });

    it('replays a plan change', async () => {
      const me = await registerAndLogin(h.t.app);
      await subscribe(me);
      const changePlan = vi.spyOn(h.provider, 'changePlan');

      const change = await post('/v1/billing/subscription/change', me, {
        key: 'change-1',
        payload: { planCode: 'business' },
      });
      const retry = await post('/v1/billing/subscription/change', me, {
        key: 'change-1',
        payload: { planCode: 'business' },
      });

      expect(change.statusCode).toBe(200);
      expect(change.json().planCode).toBe('business');
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(change.json());
      expect(changePlan.mock.calls.map(([, plan, providerKey]) => [plan.code, providerKey])).toEqual([
        ['business', `${me.id}:change:change-1`],
      ]);
    });

    it('replays the portal URL', async () => {
      const me = await registerAndLogin(h.t.app);

      const first = await post('/v1/billing/portal', me, { key: 'portal-1' });
      const retry = await post('/v1/billing/portal', me, { key: 'portal-1' });

      expect(first.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
    });
  });
});
