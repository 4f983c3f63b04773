import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PrismaService } from '@app/database';
import { BillingProvider } from '../../apps/api/src/billing/subscriptions/billing-provider.js';
import { IdempotencySeal } from '../../apps/api/src/core/idempotency/idempotency-seal.js';
import type { TestAccount } from './auth.js';
import { createTestApp, type TestApp } from './test-app.js';
import { seedTestPlans } from './billing.js';

/**
 * The app on the local billing provider, and the calls and reads of the Idempotency-Key tests:
 * requests with or without a key, the stored records, the problems a key answers.
 * `start()` in a beforeAll, `close()` in the afterAll.
 */
export class IdempotencyTestApp {
  t!: TestApp;
  prisma!: PrismaService;
  provider!: BillingProvider;

  async start(): Promise<void> {
    this.t = await createTestApp();
    this.prisma = this.t.app.get(PrismaService);
    await seedTestPlans(this.t);
    this.provider = this.t.app.get(BillingProvider);
  }

  async close(): Promise<void> {
    await this.t.close();
  }

  readonly post = (
    url: string,
    account: TestAccount,
    options: { key?: string; payload?: Record<string, unknown> } = {},
  ) =>
    this.t.app.inject({
      method: 'POST',
      url,
      headers: { ...account.auth, ...(options.key !== undefined ? { 'idempotency-key': options.key } : {}) },
      ...(options.payload ? { payload: options.payload } : {}),
    });
  readonly checkout = (account: TestAccount, key?: string, planCode = 'pro') =>
    this.post('/v1/billing/checkout', account, { ...(key !== undefined ? { key } : {}), payload: { planCode } });
  readonly checkoutSessions = (account: TestAccount) =>
    this.prisma.checkoutSession.count({ where: { userId: account.id } });
  readonly records = (account: TestAccount) =>
    this.prisma.idempotencyRecord.findMany({ where: { userId: account.id } });
  readonly seal = () => this.t.app.get(IdempotencySeal);
  /** A stored response body, opened as a request presenting the key would open it. */
  readonly opened = (account: TestAccount, key: string, sealed: Uint8Array | null | undefined) =>
    JSON.parse(this.seal().open(account.id, key, sealed ?? new Uint8Array()) ?? 'null');

  readonly problem = (res: LightMyRequestResponse, status: number, code: string, detail: string, instance: string) => {
    const titles: Record<number, string> = { 400: 'Bad Request', 409: 'Conflict', 422: 'Unprocessable Content' };
    return {
      type: `urn:problem-type:${code.toLowerCase().replaceAll('_', '-')}`,
      title: titles[status],
      status,
      detail,
      instance,
      code,
      requestId: res.headers['x-request-id'],
    };
  };
  readonly reused = (res: LightMyRequestResponse, instance = '/v1/billing/checkout') =>
    this.problem(
      res,
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different request; send a new key with a new request.',
      instance,
    );
  /** A 400 VALIDATION_FAILED of the checkout route, and nothing started or recorded. */
  readonly expectRefused = async (
    res: LightMyRequestResponse,
    me: TestAccount,
    error: { field: string; message: string },
  ) => {
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      ...this.problem(res, 400, 'VALIDATION_FAILED', 'The request is invalid.', '/v1/billing/checkout'),
      errors: [error],
    });
    expect(await this.checkoutSessions(me)).toBe(0);
    expect(await this.records(me)).toEqual([]);
  };
  readonly inProgress = (res: LightMyRequestResponse) =>
    this.problem(
      res,
      409,
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed; retry shortly.',
      '/v1/billing/checkout',
    );

  /** A live subscription through the local provider's checkout, as a browser would complete it. */
  readonly subscribe = async (account: TestAccount, planCode = 'pro'): Promise<void> => {
    const res = await this.checkout(account, undefined, planCode);
    expect(res.statusCode).toBe(200);
    const done = await this.t.app.inject({ method: 'POST', url: new URL(res.json().url as string).pathname });
    expect(done.statusCode).toBe(200);
  };
}
